/// A tag seen during inventory: `BB 02 22 PL | RSSI | PC(2) | EPC | CRC(2) | CS | 7E`.
public struct M100TagNotice: Sendable, Equatable {
    /// Received signal strength in dBm, as the reader's signed byte.
    public var rssi: Int8
    /// The tag's protocol-control word; bits 15–11 give the EPC length in 16-bit words.
    public var pc: UInt16
    /// The EPC, as long as the PC word says.
    public var epc: [UInt8]
    /// The CRC-16 the tag reported over PC and EPC.
    public var crc: UInt16

    /// Creates a notice.
    public init(rssi: Int8, pc: UInt16, epc: [UInt8], crc: UInt16) {
        self.rssi = rssi
        self.pc = pc
        self.epc = epc
        self.crc = crc
    }

    /// Reads a tag notice frame.
    /// - Throws: `M100Error.malformedPayload` when the frame is not a tag notice or its payload disagrees with its PC word.
    public init(frame: M100Frame) throws(M100Error) {
        guard frame.type == .notice, frame.command == M100Frame.Command.singleInventory else {
            throw M100Error(.malformedPayload, "a \(frame.type) with command 0x\(M100Frame.hex(frame.command)) is not a tag notice")
        }
        let payload = frame.payload
        guard payload.count >= 5 else {
            throw M100Error(.malformedPayload, "a tag notice carries at least RSSI, PC and CRC (5 bytes); got \(payload.count)")
        }
        let pc = UInt16(payload[1]) << 8 | UInt16(payload[2])
        let epcLength = Int(pc >> 11) * 2
        guard payload.count == 5 + epcLength else {
            throw M100Error(.malformedPayload,
                            "the PC word 0x\(M100Frame.hex(payload[1]))\(M100Frame.hex(payload[2])) gives a \(epcLength)-byte EPC, "
                                + "but the notice carries \(payload.count - 5)")
        }
        self.init(rssi: Int8(bitPattern: payload[0]), pc: pc, epc: Array(payload[3..<(3 + epcLength)]),
                  crc: UInt16(payload[3 + epcLength]) << 8 | UInt16(payload[4 + epcLength]))
    }

    /// RSSI in hundredths of a dBm, as `TagRead.rssi` holds it.
    public var centiDBm: Int16 { Int16(rssi) * 100 }

    /// Whether the reported CRC matches PC and EPC (EPC Gen2 CRC-16).
    public var crcMatches: Bool { Self.crc16([UInt8(pc >> 8), UInt8(pc & 0xFF)] + epc) == crc }

    /// The frame a reader sends for this tag.
    public var frame: M100Frame {
        M100Frame(type: .notice, command: M100Frame.Command.singleInventory,
                  payload: [UInt8(bitPattern: rssi), UInt8(pc >> 8), UInt8(pc & 0xFF)] + epc + [UInt8(crc >> 8), UInt8(crc & 0xFF)])
    }

    /// EPC Gen2 CRC-16: polynomial 0x1021, preset 0xFFFF, complemented.
    public static func crc16(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0xFFFF
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return ~crc
    }
}
