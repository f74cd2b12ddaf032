/// An error raised by the LLRP driver: a frame or parameter that does not decode, or a session that failed.
///
/// Decoding never traps on input: every inconsistency in bytes from the network becomes one of these.
public struct LLRPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; stable across releases so callers can branch on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String

        /// The input ended before a field, parameter or message it announced.
        public static let truncated = Code(name: "truncated")
        /// A length field disagrees with the bytes around it (too small, or overrunning its parent).
        public static let invalidLength = Code(name: "invalidLength")
        /// A field holds a value the protocol does not allow here.
        public static let invalidValue = Code(name: "invalidValue")
        /// A TV parameter of a type whose size is not known, so nothing after it can be located.
        public static let unknownParameter = Code(name: "unknownParameter")
        /// A parameter the protocol requires is absent.
        public static let missingParameter = Code(name: "missingParameter")
        /// A message carries a protocol version this decoder does not speak.
        public static let unsupportedVersion = Code(name: "unsupportedVersion")
        /// A frame header announced a length below the header size or above the frame limit.
        public static let malformedFrame = Code(name: "malformedFrame")
        /// The TCP connection could not be opened, or closed under the session.
        public static let connection = Code(name: "connection")
        /// The reader refused the session (a non-zero `ConnectionAttemptEvent` status).
        public static let connectionRefused = Code(name: "connectionRefused")
        /// The reader answered a request with an error status or `ERROR_MESSAGE`.
        public static let readerError = Code(name: "readerError")
        /// The reader did not answer, or went silent for longer than twice the keepalive interval.
        public static let timeout = Code(name: "timeout")

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
