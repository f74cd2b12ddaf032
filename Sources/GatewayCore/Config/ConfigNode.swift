import Foundation
import Yams

/// A YAML mapping being read into a configuration struct.
///
/// It remembers its key path for error messages and which keys were read, so ``finish()`` can
/// reject unknown keys: a typo in a store's config must fail loudly, not be ignored.
public final class ConfigMap {
    /// Where this mapping sits in the document (`""` for the root).
    public let path: String
    private let pairs: [(String, Yams.Node)]
    private var used = Set<String>()

    /// Reads `node` as a mapping at `path`.
    public init(_ node: Yams.Node, path: String) throws {
        self.path = path
        guard let mapping = node.mapping else {
            throw ConfigError(.invalidValue, at: path, "expected a mapping of keys to values, found \(ConfigMap.describe(node))")
        }
        var pairs: [(String, Yams.Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else {
                throw ConfigError(.invalidValue, at: path, "keys must be strings, found \(ConfigMap.describe(key))")
            }
            pairs.append((name, value))
        }
        self.pairs = pairs
    }

    /// Parses YAML text into the root mapping; an empty document is an empty mapping.
    public static func parse(yaml: String, source: String) throws -> ConfigMap {
        let node: Yams.Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigError(.syntax, at: "", "\(source): \(error)")
        } catch {
            throw ConfigError(.syntax, at: "", "\(source): \(error)")
        }
        return try ConfigMap(node ?? Yams.Node.mapping(.init([])), path: "")
    }

    /// Reads and parses a YAML file.
    public static func load(file: String) throws -> ConfigMap {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigError(.unreadable, at: "", "cannot read config file \(file): \(error.localizedDescription)")
        }
        return try parse(yaml: text, source: file)
    }

    /// The key path of a child key.
    public func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw node under `key`, marking it as read.
    public func node(_ key: String) -> Yams.Node? {
        used.insert(key)
        guard let node = pairs.first(where: { $0.0 == key })?.1 else { return nil }
        if case .scalar(let scalar) = node, scalar.tag == .init(.null) || (scalar.string == "~" || scalar.string == "null") && scalar.style == .plain {
            return nil
        }
        return node
    }

    /// Whether the mapping has `key` at all.
    public func has(_ key: String) -> Bool { pairs.contains { $0.0 == key } }

    /// A scalar value, or `nil` when absent.
    public func optional<T: ConfigValue>(_ key: String, as type: T.Type = T.self) throws -> T? {
        guard let node = node(key) else { return nil }
        return try T(configNode: node, path: path(of: key))
    }

    /// A scalar value, or `defaultValue` when absent.
    public func value<T: ConfigValue>(_ key: String, default defaultValue: T) throws -> T {
        try optional(key, as: T.self) ?? defaultValue
    }

    /// A scalar value that must be present.
    public func required<T: ConfigValue>(_ key: String, as type: T.Type = T.self) throws -> T {
        guard let value = try optional(key, as: type) else {
            throw ConfigError(.missingKey, at: path(of: key), "is required")
        }
        return value
    }

    /// A nested mapping, or `nil` when absent.
    public func section(_ key: String) throws -> ConfigMap? {
        guard let node = node(key) else { return nil }
        return try ConfigMap(node, path: path(of: key))
    }

    /// A nested mapping decoded into a section type; its defaults when absent.
    public func decode<T: ConfigSection>(_ key: String, as type: T.Type = T.self) throws -> T {
        guard let map = try section(key) else { return T() }
        let value = try T(config: map)
        try map.finish()
        return value
    }

    /// A list of values, or `nil` when absent.
    public func list<T: ConfigValue>(_ key: String, of type: T.Type = T.self) throws -> [T]? {
        guard let node = node(key) else { return nil }
        let keyPath = path(of: key)
        guard let items = node.sequence else {
            // A single value where a list is expected is read as a list of one.
            return [try T(configNode: node, path: keyPath)]
        }
        return try items.enumerated().map { try T(configNode: $1, path: "\(keyPath)[\($0)]") }
    }

    /// A list of mappings, each decoded with `decode`, or `nil` when absent.
    public func mappings<T>(_ key: String, _ decode: (ConfigMap) throws -> T) throws -> [T]? {
        guard let node = node(key) else { return nil }
        let keyPath = path(of: key)
        guard let items = node.sequence else {
            throw ConfigError(.invalidValue, at: keyPath, "expected a list, found \(ConfigMap.describe(node))")
        }
        return try items.enumerated().map { index, item in
            let map = try ConfigMap(item, path: "\(keyPath)[\(index)]")
            let value = try decode(map)
            try map.finish()
            return value
        }
    }

    /// The keys present, in document order.
    public var keys: [String] { pairs.map(\.0) }

    /// Fails on the first key that was never read: it is unknown here.
    public func finish() throws {
        for (key, _) in pairs where !used.contains(key) {
            let known = used.sorted().joined(separator: ", ")
            throw ConfigError(.unknownKey, at: path(of: key), "unknown key (known here: \(known))")
        }
    }

    static func describe(_ node: Yams.Node) -> String {
        switch node {
        case .scalar(let s): return "'\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}

/// A configuration section: one struct per component, with defaults for every key.
public protocol ConfigSection {
    /// The defaults, used when the section is absent.
    init()
    /// Reads the section from its mapping; ``ConfigMap/finish()`` is called afterwards.
    init(config: ConfigMap) throws
}

/// A scalar that can be read from YAML with a key path for errors.
public protocol ConfigValue {
    /// Reads the value from a node.
    init(configNode node: Yams.Node, path: String) throws
}

extension ConfigValue {
    static func scalar(_ node: Yams.Node, _ path: String, _ what: String) throws -> String {
        guard case .scalar(let scalar) = node else {
            throw ConfigError(.invalidValue, at: path, "expected \(what), found \(ConfigMap.describe(node))")
        }
        return scalar.string
    }
}

extension String: ConfigValue {
    /// Reads a string; `${NAME}` is replaced by the environment variable NAME, so secrets stay out of files.
    public init(configNode node: Yams.Node, path: String) throws {
        let text = try Self.scalar(node, path, "a string")
        if text.hasPrefix("${"), text.hasSuffix("}") {
            let name = String(text.dropFirst(2).dropLast())
            guard let value = ProcessInfo.processInfo.environment[name] else {
                throw ConfigError(.invalidValue, at: path, "environment variable \(name) is not set")
            }
            self = value
        } else {
            self = text
        }
    }
}

extension Int: ConfigValue {
    /// Reads a whole number.
    public init(configNode node: Yams.Node, path: String) throws {
        let text = try Self.scalar(node, path, "a whole number")
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")) else {
            throw ConfigError(.invalidValue, at: path, "'\(text)' is not a whole number")
        }
        self = value
    }
}

extension Double: ConfigValue {
    /// Reads a number.
    public init(configNode node: Yams.Node, path: String) throws {
        let text = try Self.scalar(node, path, "a number")
        guard let value = Double(text) else {
            throw ConfigError(.invalidValue, at: path, "'\(text)' is not a number")
        }
        self = value
    }
}

extension Bool: ConfigValue {
    /// Reads `true`/`false` (also `yes`/`no`, `on`/`off`).
    public init(configNode node: Yams.Node, path: String) throws {
        let text = try Self.scalar(node, path, "true or false")
        switch text.lowercased() {
        case "true", "yes", "on": self = true
        case "false", "no", "off": self = false
        default: throw ConfigError(.invalidValue, at: path, "'\(text)' is not true or false")
        }
    }
}

extension Duration: ConfigValue {
    /// Reads a duration with a unit: `250ms`, `3s`, `30m`, `2h`, `7d`.
    public init(configNode node: Yams.Node, path: String) throws {
        let text = try Self.scalar(node, path, "a duration").trimmingCharacters(in: .whitespaces)
        guard let value = Duration(configText: text) else {
            throw ConfigError(.invalidValue, at: path, "'\(text)' is not a duration (use a number and a unit: ms, s, m, h, d)")
        }
        self = value
    }

    /// Parses `250ms`, `3s`, `1.5s`, `30m`, `2h`, `7d`; `nil` otherwise.
    public init?(configText text: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)]
        for (unit, seconds) in units where text.hasSuffix(unit) {
            let number = text.dropLast(unit.count).trimmingCharacters(in: .whitespaces)
            guard let amount = Double(number), amount >= 0, amount.isFinite else { continue }
            self = .milliseconds(Int64((amount * seconds * 1_000).rounded()))
            return
        }
        return nil
    }

    /// Whole milliseconds.
    public var milliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}

/// A setting that takes one of a fixed set of words; an error lists them.
public protocol ConfigChoice: ConfigValue, RawRepresentable, CaseIterable where RawValue == String {
    /// What the setting is, for errors: "an overflow policy".
    static var choiceDescription: String { get }
}

extension ConfigChoice {
    /// Reads one of the words.
    public init(configNode node: Yams.Node, path: String) throws {
        let text = try Self.scalar(node, path, Self.choiceDescription)
        guard let value = Self(rawValue: text) else {
            let words = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(.invalidValue, at: path, "'\(text)' is not \(Self.choiceDescription) (\(words))")
        }
        self = value
    }
}

extension OverflowPolicy: ConfigChoice {
    /// For errors.
    public static let choiceDescription = "an overflow policy"
}
