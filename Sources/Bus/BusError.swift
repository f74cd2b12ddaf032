/// An error raised by the bus: sockets, the event codec, the journal, configuration.
public struct BusError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; stable across releases so callers can branch on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        /// A ZeroMQ socket could not be created, configured, or used.
        public static let socket = Code(name: "socket")
        /// A socket could not bind its endpoint (address in use, bad interface, no permission).
        public static let bind = Code(name: "bind")
        /// A socket could not connect to an endpoint (malformed address, unknown transport).
        public static let connect = Code(name: "connect")
        /// A message could not be sent.
        public static let send = Code(name: "send")
        /// A message could not be received.
        public static let receive = Code(name: "receive")
        /// An event could not be encoded, or a message body is not a well-formed event.
        public static let codec = Code(name: "codec")
        /// A message names an event type this code does not know.
        public static let unknownType = Code(name: "unknownType")
        /// A message's topic frame does not match the `type` in its body.
        public static let topicMismatch = Code(name: "topicMismatch")
        /// A message carries a schema version (`v`) this code does not read.
        public static let schemaVersion = Code(name: "schemaVersion")
        /// The journal could not be opened, written, synced, or read.
        public static let journal = Code(name: "journal")
        /// The bus configuration is not usable.
        public static let config = Code(name: "config")
        /// The code's name.
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

    /// The message.
    public var description: String { message }
}
