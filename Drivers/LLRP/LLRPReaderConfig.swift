import Foundation
import GatewayCore

/// How to reach one fixed LLRP reader and what to ask of it.
///
/// Read from a source's `options:` map (`driver: llrp`):
/// `host`, `port`, `keepalive`, `reportEveryTags`, or `url: llrp://HOST[:PORT]` instead of `host`/`port`;
/// plus the tuning keys `antennas`, `roSpecID`, `connectTimeout`, `responseTimeout`, `closeTimeout`,
/// `reconnectInitial`, `reconnectMax`, `reconnectJitter` and `clockTolerance`.
public struct LLRPReaderConfig: Sendable, Equatable {
    /// Exponential back-off between connection attempts.
    public struct Reconnect: Sendable, Equatable {
        /// The first delay, and the delay again after a session that reached `START_ROSPEC`.
        public var initial: Duration
        /// The cap.
        public var maximum: Duration
        /// Each delay is multiplied by a random factor in `1 ± jitter` (cut at the cap), so readers that
        /// dropped together (a switch reboot) do not reconnect in lockstep. 0 disables it.
        public var jitter: Double

        /// Creates back-off settings.
        public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(30), jitter: Double = 0.2) {
            self.initial = initial
            self.maximum = maximum
            self.jitter = jitter
        }
    }

    /// The default LLRP port.
    public static let defaultPort = 5084

    /// The reader's host name or address.
    public var host: String
    /// The reader's TCP port.
    public var port: Int
    /// The keepalive period asked of the reader; silence for twice this long means the link is dead.
    public var keepalive: Duration
    /// Tags per `RO_ACCESS_REPORT` (the ROReportSpec's N): 1 gives the lowest latency.
    public var reportEveryTags: Int
    /// Antenna ports to inventory; `[0]` means every antenna.
    public var antennas: [UInt16]
    /// The id of the ROSpec this client adds (and deletes when a reader refuses "delete all").
    public var roSpecID: UInt32
    /// Back-off between connection attempts.
    public var reconnect: Reconnect
    /// How long the TCP connect may take.
    public var connectTimeout: Duration
    /// How long the reader may take to send its connection event or answer a request.
    public var responseTimeout: Duration
    /// How long to wait for `CLOSE_CONNECTION_RESPONSE` on shutdown before closing anyway.
    public var closeTimeout: Duration
    /// A first-seen time further than this from the host's clock is implausible (an unset reader
    /// clock says 2000-01-01): the read is stamped with the host's receive time instead. Presence
    /// expiry compares read times with the host clock, so a reader hours off would make tags flap
    /// or linger; five minutes tolerates a drifting clock without letting that happen.
    public var clockTolerance: Duration
    /// The largest frame accepted; a header announcing more is treated as a corrupt stream.
    public var maxFrameLength: Int

    /// `host:port`, for messages.
    public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Creates a configuration.
    public init(host: String, port: Int = LLRPReaderConfig.defaultPort, keepalive: Duration = .seconds(10), reportEveryTags: Int = 1,
                antennas: [UInt16] = [0], roSpecID: UInt32 = 1, reconnect: Reconnect = Reconnect(),
                connectTimeout: Duration = .seconds(5), responseTimeout: Duration = .seconds(10), closeTimeout: Duration = .seconds(1),
                clockTolerance: Duration = .seconds(300), maxFrameLength: Int = 16 << 20) {
        self.host = host
        self.port = port
        self.keepalive = keepalive
        self.reportEveryTags = reportEveryTags
        self.antennas = antennas.isEmpty ? [0] : antennas
        self.roSpecID = roSpecID
        self.reconnect = reconnect
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.closeTimeout = closeTimeout
        self.clockTolerance = clockTolerance
        self.maxFrameLength = maxFrameLength
    }

    /// The option keys this driver reads; any other key is a typo and is rejected.
    public static let optionKeys: Set<String> = [
        "host", "port", "url", "keepalive", "reportEveryTags", "antennas", "roSpecID", "connectTimeout", "responseTimeout",
        "closeTimeout", "reconnectInitial", "reconnectMax", "reconnectJitter", "clockTolerance",
    ]

    /// Reads a source's `options:`; antennas come from `antennas` (or the source's antenna map when
    /// it lists ports and no default `zone` covers the rest).
    /// - Throws: `ConfigError` naming the key path (`sources[2].options.port`) and the bad value.
    public init(source: SourceConfig) throws {
        let options = source.options
        func path(_ key: String) -> String {
            // A reader from the command line (`--reader llrp://…`) has no options map to point into.
            if source.path.hasPrefix("--") { return source.path }
            let base = source.path.isEmpty ? "options" : "\(source.path).options"
            return "\(base).\(key)"
        }
        for key in options.keys.sorted() where !Self.optionKeys.contains(key) {
            throw ConfigError(.unknownKey, at: path(key), "is not an LLRP option (\(Self.optionKeys.sorted().joined(separator: ", ")))")
        }

        var host: String
        var port = Self.defaultPort
        if let url = options["url"] {
            guard options["host"] == nil, options["port"] == nil else {
                throw ConfigError(.invalidValue, at: path("url"), "'\(url)' conflicts with host/port: give one or the other")
            }
            guard let parsed = Self.parse(url: url) else {
                throw ConfigError(.invalidValue, at: path("url"), "'\(url)' is not an LLRP address (llrp://HOST[:PORT])")
            }
            host = parsed.host
            if let text = parsed.port {
                guard let value = Int(text), (1...65_535).contains(value) else {
                    throw ConfigError(.invalidValue, at: path("url"), "'\(url)': '\(text)' is not a port (1–65535)")
                }
                port = value
            }
        } else {
            guard let text = options["host"] else {
                throw ConfigError(.missingKey, at: path("host"), "the reader's address is required (host, or url: llrp://HOST[:PORT])")
            }
            host = text.trimmingCharacters(in: .whitespaces)
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" }) else {
                throw ConfigError(.invalidValue, at: path("host"), "'\(text)' is not a host name or address")
            }
            if let text = options["port"] {
                guard let value = Int(text.trimmingCharacters(in: .whitespaces)), (1...65_535).contains(value) else {
                    throw ConfigError(.invalidValue, at: path("port"), "'\(text)' is not a port (1–65535)")
                }
                port = value
            }
        }

        func duration(_ key: String, default value: Duration, minimum: Duration) throws -> Duration {
            guard let text = options[key] else { return value }
            guard let parsed = Duration(configText: text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigError(.invalidValue, at: path(key), "'\(text)' is not a duration (use a number and a unit: ms, s, m, h)")
            }
            guard parsed >= minimum else {
                throw ConfigError(.invalidValue, at: path(key), "'\(text)' is too short (at least \(minimum.milliseconds)ms)")
            }
            return parsed
        }
        func integer<T: FixedWidthInteger>(_ key: String, default value: T, range: ClosedRange<T>, what: String) throws -> T {
            guard let text = options[key] else { return value }
            guard let parsed = T(text.trimmingCharacters(in: .whitespaces)), range.contains(parsed) else {
                throw ConfigError(.invalidValue, at: path(key), "'\(text)' is not \(what) (\(range.lowerBound)–\(range.upperBound))")
            }
            return parsed
        }

        let defaults = LLRPReaderConfig(host: host)
        var config = LLRPReaderConfig(host: host, port: port)
        config.keepalive = try duration("keepalive", default: defaults.keepalive, minimum: .milliseconds(10))
        guard config.keepalive.milliseconds <= Int64(UInt32.max) else {
            throw ConfigError(.invalidValue, at: path("keepalive"), "'\(options["keepalive"] ?? "")' is too long for LLRP (a u32 of milliseconds)")
        }
        config.reportEveryTags = try integer("reportEveryTags", default: 1, range: 1...65_535, what: "a tag count")
        config.roSpecID = try integer("roSpecID", default: UInt32(1), range: 1...UInt32.max, what: "an ROSpec id")
        config.connectTimeout = try duration("connectTimeout", default: defaults.connectTimeout, minimum: .milliseconds(10))
        config.responseTimeout = try duration("responseTimeout", default: defaults.responseTimeout, minimum: .milliseconds(10))
        config.closeTimeout = try duration("closeTimeout", default: defaults.closeTimeout, minimum: .zero)
        config.clockTolerance = try duration("clockTolerance", default: defaults.clockTolerance, minimum: .seconds(1))
        config.reconnect.initial = try duration("reconnectInitial", default: defaults.reconnect.initial, minimum: .milliseconds(1))
        config.reconnect.maximum = try duration("reconnectMax", default: defaults.reconnect.maximum, minimum: .milliseconds(1))
        guard config.reconnect.maximum >= config.reconnect.initial else {
            throw ConfigError(.invalidValue, at: path("reconnectMax"),
                              "'\(options["reconnectMax"] ?? "")' is below reconnectInitial (\(config.reconnect.initial.milliseconds)ms)")
        }
        if let text = options["reconnectJitter"] {
            guard let jitter = Double(text.trimmingCharacters(in: .whitespaces)), (0...1).contains(jitter) else {
                throw ConfigError(.invalidValue, at: path("reconnectJitter"), "'\(text)' is not a jitter fraction (0–1)")
            }
            config.reconnect.jitter = jitter
        }

        if let text = options["antennas"] {
            config.antennas = try Self.parse(antennas: text, at: path("antennas"))
        } else if !source.antennas.isEmpty, source.zone == nil {
            // Ports outside the map have no zone, so reading them would only produce unplaced reads.
            config.antennas = source.antennas.keys.sorted()
        } else {
            config.antennas = [0]
        }
        self = config
    }

    /// Splits `llrp://HOST[:PORT]` (with `[v6]` brackets); `nil` when it is not that shape.
    static func parse(url: String) -> (host: String, port: String?)? {
        let text = url.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("llrp://") else { return nil }
        var rest = Substring(text.dropFirst("llrp://".count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains(where: \.isWhitespace) else { return nil }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            let host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            guard !host.isEmpty else { return nil }
            if after.isEmpty { return (host, nil) }
            guard after.hasPrefix(":") else { return nil }
            return (host, String(after.dropFirst()))
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (String(parts[0]), nil)
        case 2 where !parts[0].isEmpty: return (String(parts[0]), String(parts[1]))
        default: return nil
        }
    }

    /// `all`, `0`, or a comma-separated list of ports.
    static func parse(antennas text: String, at keyPath: String) throws -> [UInt16] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "all" || trimmed == "0" { return [0] }
        var ports: [UInt16] = []
        for part in trimmed.split(separator: ",") {
            guard let port = UInt16(part.trimmingCharacters(in: .whitespaces)), port > 0 else {
                throw ConfigError(.invalidValue, at: keyPath, "'\(text)' is not a list of antenna ports (1–65535, or all)")
            }
            if !ports.contains(port) { ports.append(port) }
        }
        guard !ports.isEmpty else { throw ConfigError(.invalidValue, at: keyPath, "'\(text)' lists no antenna port") }
        return ports
    }
}
