/// An error raised by the M100 serial driver: framing, tag notices and the serial port.
public struct M100Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; stable across releases so callers can branch on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        /// Fewer bytes than the frame's header or length field promises.
        public static let truncated = Code(name: "truncated")
        /// The first byte is not the 0xBB header.
        public static let badHeader = Code(name: "badHeader")
        /// The last byte is not the 0x7E terminator.
        public static let badTerminator = Code(name: "badTerminator")
        /// The checksum byte does not match the sum of type, command, length and payload.
        public static let badChecksum = Code(name: "badChecksum")
        /// The length field is impossible or disagrees with the bytes given.
        public static let badLength = Code(name: "badLength")
        /// A frame that decoded but whose payload does not fit its command (e.g. a tag notice too short for its PC word).
        public static let malformedPayload = Code(name: "malformedPayload")
        /// The serial port could not be opened, configured, read or written.
        public static let io = Code(name: "io")
        /// The serial device does not exist (yet, or any more).
        public static let notFound = Code(name: "notFound")
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
