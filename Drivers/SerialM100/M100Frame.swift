/// One MagicRF M100 / R200 frame: `BB | type | command | PL_hi PL_lo | payload | checksum | 7E`.
///
/// The checksum is the low byte of the sum of every byte from `type` through the end of the payload.
public struct M100Frame: Sendable, Equatable, CustomStringConvertible {
    /// The first byte of every frame.
    public static let header: UInt8 = 0xBB
    /// The last byte of every frame.
    public static let terminator: UInt8 = 0x7E
    /// Header, type, command, two length bytes, checksum, terminator.
    public static let overhead = 7
    /// The largest payload accepted. The protocol allows 65535, but no reply of this reader comes close;
    /// a smaller bound lets the decoder give up on a false header sooner.
    public static let maxPayload = 1_024

    /// What a frame is.
    public struct FrameType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The byte on the wire.
        public let rawValue: UInt8
        /// Creates a frame type from its byte.
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Host to reader.
        public static let command = FrameType(rawValue: 0x00)
        /// Reader's answer to a command (or an error frame).
        public static let response = FrameType(rawValue: 0x01)
        /// Unsolicited reader output: tag notices during polling.
        public static let notice = FrameType(rawValue: 0x02)
        public var description: String {
            switch self {
            case .command: "command"
            case .response: "response"
            case .notice: "notice"
            default: "type 0x\(M100Frame.hex(rawValue))"
            }
        }
    }

    /// Command codes the driver uses or recognises.
    public enum Command {
        /// One inventory round.
        public static let singleInventory: UInt8 = 0x22
        /// Repeated inventory rounds; tags arrive as notices with this command code too (0x22).
        public static let multiplePolling: UInt8 = 0x27
        /// Stops multiple polling.
        public static let stopPolling: UInt8 = 0x28
        /// The command code of error responses.
        public static let error: UInt8 = 0xFF
    }

    /// Error codes in error frames (`BB 01 FF 00 01 code CS 7E`).
    public enum ErrorCode {
        /// No tag answered in the inventory round: routine while polling an empty field.
        public static let noTag: UInt8 = 0x15
    }

    /// The frame type.
    public var type: FrameType
    /// The command code.
    public var command: UInt8
    /// The payload.
    public var payload: [UInt8]

    /// Creates a frame.
    public init(type: FrameType, command: UInt8, payload: [UInt8] = []) {
        self.type = type
        self.command = command
        self.payload = payload
    }

    /// `BB 00 22 00 00 22 7E`.
    public static let singleInventory = M100Frame(type: .command, command: Command.singleInventory)
    /// `BB 00 28 00 00 28 7E`.
    public static let stopPolling = M100Frame(type: .command, command: Command.stopPolling)

    /// `BB 00 27 00 03 22 HH LL CS 7E`: poll `rounds` inventory rounds (10000 gives the reference's frame).
    public static func multiplePolling(rounds: UInt16) -> M100Frame {
        M100Frame(type: .command, command: Command.multiplePolling, payload: [0x22, UInt8(rounds >> 8), UInt8(rounds & 0xFF)])
    }

    /// The checksum of a frame with these fields.
    public static func checksum(type: UInt8, command: UInt8, payload: some Sequence<UInt8>) -> UInt8 {
        var sum = type &+ command
        var length = 0
        for byte in payload {
            sum &+= byte
            length += 1
        }
        return sum &+ UInt8(truncatingIfNeeded: length >> 8) &+ UInt8(truncatingIfNeeded: length)
    }

    /// The frame's bytes on the wire.
    public var encoded: [UInt8] {
        precondition(payload.count <= Int(UInt16.max), "an M100 payload is at most 65535 bytes")
        var bytes: [UInt8] = [Self.header, type.rawValue, command, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        bytes += payload
        bytes.append(Self.checksum(type: type.rawValue, command: command, payload: payload))
        bytes.append(Self.terminator)
        return bytes
    }

    /// Decodes exactly one frame: no bytes before or after it.
    /// - Throws: `M100Error` naming what is wrong (truncated, bad header, length, checksum or terminator).
    public init(decoding bytes: some Collection<UInt8>) throws(M100Error) {
        let bytes = Array(bytes)
        guard bytes.count >= Self.overhead else {
            throw M100Error(.truncated, "an M100 frame is at least \(Self.overhead) bytes; got \(bytes.count)")
        }
        guard bytes[0] == Self.header else {
            throw M100Error(.badHeader, "an M100 frame starts with 0xBB, not 0x\(Self.hex(bytes[0]))")
        }
        let length = Int(bytes[3]) << 8 | Int(bytes[4])
        guard length <= Self.maxPayload else {
            throw M100Error(.badLength, "payload length \(length) is over the \(Self.maxPayload)-byte limit")
        }
        let total = length + Self.overhead
        guard bytes.count >= total else {
            throw M100Error(.truncated, "the length field promises a \(total)-byte frame; got \(bytes.count) bytes")
        }
        guard bytes.count == total else {
            throw M100Error(.badLength, "the length field promises a \(total)-byte frame; got \(bytes.count) bytes")
        }
        try self.init(validating: bytes[...], length: length)
    }

    /// Checks checksum and terminator of a frame whose length is already known to fit `bytes`.
    init(validating bytes: ArraySlice<UInt8>, length: Int) throws(M100Error) {
        let start = bytes.startIndex
        let payload = bytes[(start + 5)..<(start + 5 + length)]
        let expected = Self.checksum(type: bytes[start + 1], command: bytes[start + 2], payload: payload)
        let actual = bytes[start + 5 + length]
        guard actual == expected else {
            throw M100Error(.badChecksum, "checksum 0x\(Self.hex(actual)) should be 0x\(Self.hex(expected))")
        }
        let end = bytes[start + 6 + length]
        guard end == Self.terminator else {
            throw M100Error(.badTerminator, "an M100 frame ends with 0x7E, not 0x\(Self.hex(end))")
        }
        self.init(type: FrameType(rawValue: bytes[start + 1]), command: bytes[start + 2], payload: Array(payload))
    }

    /// The error code of an error frame (`type` response, command 0xFF); `nil` for any other frame.
    public var errorCode: UInt8? {
        type == .response && command == Command.error && payload.count == 1 ? payload[0] : nil
    }

    public var description: String { encoded.map(Self.hex).joined(separator: " ") }

    static func hex(_ byte: UInt8) -> String {
        let text = String(byte, radix: 16, uppercase: true)
        return text.count == 1 ? "0" + text : text
    }
}
