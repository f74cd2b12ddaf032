/// An error raised by the gateway's core plumbing: rings, the pipeline runner, identities.
public struct GatewayCoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; stable across releases so callers can branch on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        /// A ring could not accept an item and the policy refuses to wait.
        public static let ringClosed = Code(name: "ringClosed")
        /// A value could not be parsed (hex, timestamps, identifiers).
        public static let invalidValue = Code(name: "invalidValue")
        /// A key for pseudonymous tokens could not be read or created.
        public static let tokenKey = Code(name: "tokenKey")
        /// A file or device could not be read.
        public static let io = Code(name: "io")
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence naming what was wrong and where.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
