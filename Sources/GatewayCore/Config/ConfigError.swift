/// A configuration problem, naming the key path and the bad value.
///
/// Printed as `readers[1].port: 70000 is not a port (1–65535)`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem it is.
    public enum Code: String, Sendable {
        /// The file could not be read.
        case unreadable
        /// The YAML is not well-formed.
        case syntax
        /// A required key is absent.
        case missingKey
        /// A key the gateway does not know (probably a typo).
        case unknownKey
        /// A value of the wrong type or out of range.
        case invalidValue
    }

    /// What kind of problem it is.
    public let code: Code
    /// Where: a dotted key path with list indices, e.g. `sources[2].ring.capacity`; empty for the whole file.
    public let keyPath: String
    /// What is wrong, including the bad value.
    public let message: String

    /// Creates a configuration error.
    public init(_ code: Code, at keyPath: String, _ message: String) {
        self.code = code
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String { keyPath.isEmpty ? message : "\(keyPath): \(message)" }
}
