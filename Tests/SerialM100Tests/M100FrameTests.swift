import Testing
@testable import SerialM100

/// Hex without separators, for readable expectations.
func hex(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
        let text = String(byte, radix: 16, uppercase: true)
        return text.count == 1 ? "0" + text : text
    }.joined()
}

func bytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...($0 + 1)]), radix: 16)! }
}

/// A tag notice built by hand, independently of `M100Frame.encoded`: the checksum is summed here.
func noticeBytes(epc: [UInt8], rssi: Int8 = -55, crc: UInt16 = 0x1234) -> [UInt8] {
    let pc = UInt16(epc.count / 2) << 11
    let payload = [UInt8(bitPattern: rssi), UInt8(pc >> 8), UInt8(pc & 0xFF)] + epc + [UInt8(crc >> 8), UInt8(crc & 0xFF)]
    let body = [0x02, 0x22, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
    return [0xBB] + body + [body.reduce(0, &+), 0x7E]
}

@Suite("M100 frames")
struct M100FrameTests {
    @Test("commands encode to the reference's known-good bytes")
    func commands() {
        #expect(hex(M100Frame.singleInventory.encoded) == "BB00220000227E")
        #expect(hex(M100Frame.multiplePolling(rounds: 10_000).encoded) == "BB00270003222710837E")
        #expect(hex(M100Frame.stopPolling.encoded) == "BB00280000287E")
    }

    @Test("a valid frame decodes, and re-encodes to the same bytes")
    func roundTrip() throws {
        let wire = noticeBytes(epc: bytes("E2801160600002000000ABCD"))
        let frame = try M100Frame(decoding: wire)
        #expect(frame.type == .notice)
        #expect(frame.command == 0x22)
        #expect(frame.payload.count == 0x11)
        #expect(frame.encoded == wire)
    }

    @Test("truncated input is rejected as truncated, whatever is missing")
    func truncated() {
        let wire = noticeBytes(epc: bytes("E2801160600002000000ABCD"))
        for length in [0, 1, 4, 6, 7, wire.count - 1] {
            #expect(throws: M100Error.self) { try M100Frame(decoding: wire.prefix(length)) }
            do {
                _ = try M100Frame(decoding: wire.prefix(length))
            } catch {
                #expect(error.code == .truncated, "prefix of \(length) bytes")
            }
        }
    }

    @Test("corruption is named: header, checksum, terminator, length")
    func corrupted() {
        let wire = noticeBytes(epc: bytes("300833B2DDD9014000000001"))
        func code(_ mutate: (inout [UInt8]) -> Void) -> M100Error.Code? {
            var copy = wire
            mutate(&copy)
            do {
                _ = try M100Frame(decoding: copy)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code { $0[0] = 0xBA } == .badHeader)
        #expect(code { $0[8] ^= 0x01 } == .badChecksum) // a payload bit
        #expect(code { $0[$0.count - 2] &+= 1 } == .badChecksum)
        #expect(code { $0[$0.count - 1] = 0x7F } == .badTerminator)
        #expect(code { $0.append(0x00) } == .badLength)
        #expect(code { $0[3] = 0xFF } == .badLength) // 0xFF11 is over the payload limit
    }

    @Test("error frames carry their code; 0x15 means no tag")
    func errorFrame() throws {
        let frame = try M100Frame(decoding: bytes("BB01FF000115167E"))
        #expect(frame.errorCode == M100Frame.ErrorCode.noTag)
        #expect(try M100Frame(decoding: noticeBytes(epc: bytes("E2801160600002000000ABCD"))).errorCode == nil)
    }
}

@Suite("M100 tag notices")
struct M100TagNoticeTests {
    @Test("RSSI, PC, a 96-bit EPC and CRC are read from a notice")
    func epc96() throws {
        let epc = bytes("E2801160600002000000ABCD")
        let notice = try M100TagNotice(frame: M100Frame(decoding: noticeBytes(epc: epc, rssi: -55, crc: 0xBEEF)))
        #expect(notice.rssi == -55)
        #expect(notice.centiDBm == -5_500)
        #expect(notice.pc == 0x3000)
        #expect(notice.epc == epc)
        #expect(notice.crc == 0xBEEF)
    }

    @Test("the EPC length follows the PC word: 128 and 64 bits")
    func otherLengths() throws {
        for epc in [bytes("E2801160600002000000ABCD11223344"), bytes("0102030405060708")] {
            let notice = try M100TagNotice(frame: M100Frame(decoding: noticeBytes(epc: epc)))
            #expect(notice.epc == epc)
            #expect(Int(notice.pc >> 11) * 2 == epc.count)
        }
    }

    @Test("a notice whose payload disagrees with its PC word is malformed")
    func pcMismatch() throws {
        var wire = noticeBytes(epc: bytes("E2801160600002000000ABCD"))
        wire[6] = 0x40 // PC says 8 words (16 bytes); 12 follow
        wire[wire.count - 2] = wire[1..<(wire.count - 2)].reduce(0, &+)
        let frame = try M100Frame(decoding: wire)
        #expect(throws: M100Error.self) { try M100TagNotice(frame: frame) }
        #expect(throws: M100Error.self) { try M100TagNotice(frame: M100Frame(decoding: bytes("BB01FF000115167E"))) }
        #expect(throws: M100Error.self) { try M100TagNotice(frame: M100Frame(type: .notice, command: 0x22, payload: [0xC9, 0x30])) }
    }

    @Test("CRC-16 is the EPC Gen2 CRC (check value 0xD64E); a notice's CRC is checked over PC and EPC")
    func crc() throws {
        #expect(M100TagNotice.crc16(Array("123456789".utf8)) == 0xD64E)
        let epc = bytes("300833B2DDD9014000000001")
        let good = M100TagNotice.crc16([0x30, 0x00] + epc)
        #expect(try M100TagNotice(frame: M100Frame(decoding: noticeBytes(epc: epc, crc: good))).crcMatches)
        #expect(try !M100TagNotice(frame: M100Frame(decoding: noticeBytes(epc: epc, crc: good ^ 1))).crcMatches)
    }
}
