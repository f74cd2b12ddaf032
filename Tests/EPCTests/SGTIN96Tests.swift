import Testing
@testable import EPC
import SeededRandom

@Suite("SGTIN-96")
struct SGTIN96Tests {
    @Test("decodes the TDS worked example")
    func workedExample() throws {
        let bytes: [UInt8] = [0x30, 0x74, 0x25, 0x7B, 0xF7, 0x19, 0x4E, 0x40, 0x00, 0x00, 0x1A, 0x85]
        let sgtin = try SGTIN96(bytes: bytes)
        #expect(sgtin.pureIdentityURI == "urn:epc:id:sgtin:0614141.812345.6789")
        #expect(sgtin.tagURI == "urn:epc:tag:sgtin-96:3.0614141.812345.6789")
        #expect(sgtin.gtin14 == "80614141123458")
        #expect(sgtin.hex == "3074257BF7194E4000001A85")
    }

    @Test("encodes from a GTIN-14 and decodes back")
    func roundTrip() throws {
        let sgtin = try SGTIN96(gtin14: "80614141123458", companyPrefixDigits: 7, serial: 6789, filter: 3)
        #expect(sgtin.hex == "3074257BF7194E4000001A85")
        let again = try SGTIN96(bytes: sgtin.bytes)
        #expect(again == sgtin)
    }

    @Test("rejects partition 7, foreign headers, short input and bad check digits")
    func rejects() {
        #expect(throws: EPCError.self) { try SGTIN96(bytes: [0x30, 0x1C] + Array(repeating: 0, count: 10)) }
        #expect(throws: EPCError.self) { try SGTIN96(bytes: [0xE2] + Array(repeating: 0, count: 11)) }
        #expect(throws: EPCError.self) { try SGTIN96(bytes: [0x30, 0x74]) }
        #expect(throws: EPCError.self) { try SGTIN96(gtin14: "80614141123457", companyPrefixDigits: 7, serial: 1) }
    }

    @Test("GTIN check digits and padding")
    func gtins() {
        #expect(GS1.isValidGTIN("4006381333931"))
        #expect(!GS1.isValidGTIN("4006381333932"))
        #expect(GS1.gtin14("4006381333931") == "04006381333931")
    }

    @Test("the fast path agrees with the general decoder on every partition")
    func fastPathAgrees() throws {
        var generator = SplitMix64(seed: 96)
        for _ in 0..<2_000 {
            let partition = Int.random(in: 0...6, using: &generator)
            let (prefixDigits, itemDigits) = (12 - partition, 1 + partition)
            let prefix = UInt64.random(in: 0..<GS1.pow10(prefixDigits), using: &generator)
            let item = UInt64.random(in: 0..<GS1.pow10(itemDigits), using: &generator)
            let sgtin = try SGTIN96(filter: UInt8.random(in: 0...7, using: &generator),
                                    companyPrefix: CompanyPrefix(value: prefix, digits: prefixDigits),
                                    itemReference: item, serial: UInt64.random(in: 0..<(1 << 38), using: &generator))
            let high = sgtin.bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = sgtin.bytes.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let fast = try #require(SGTIN96(high: high, low: low))
            let general = try EPCTag(hex: sgtin.hex)
            #expect(fast.tagURI == general.tagURI)
            #expect(fast.pureIdentityURI == general.identity.pureIdentityURI)
            #expect(fast.gtin14 == general.identity.gtin14)
            #expect(fast.gtinValue == UInt64(general.identity.gtin14!))
        }
    }

    @Test("decodes hex digits in either case, with 0x and padding, as the general decoder reads them")
    func fromHex() throws {
        let expected = try SGTIN96(bytes: [0x30, 0x74, 0x25, 0x7B, 0xF7, 0x19, 0x4E, 0x40, 0x00, 0x00, 0x1A, 0x85])
        for text in ["3074257BF7194E4000001A85", "3074257bf7194e4000001a85", "0x3074257BF7194E4000001A85", "0X3074257BF7194E4000001A85",
                     "3074257BF7194E4000001A850000", "3074257BF7194E4000001A85F", Substring("xx3074257BF7194E4000001A85").dropFirst(2).description] {
            let sgtin = try #require(SGTIN96(hex: text), "\(text)")
            #expect(sgtin == expected)
            #expect(sgtin.gtinValue == 80_614_141_123_458 && sgtin.serial == 6_789)
        }
    }

    @Test("rejects hex that is short, not hex at any position, another scheme, or partition 7")
    func fromHexRejects() {
        let good = Array("3074257BF7194E4000001A85")
        #expect(SGTIN96(hex: "") == nil)
        #expect(SGTIN96(hex: "0x") == nil)
        #expect(SGTIN96(hex: String(good.dropLast())) == nil)
        for position in good.indices {
            for bad: Character in ["G", "g", "/", ":", "@", "`", " ", "é"] {
                var text = good
                text[position] = bad
                #expect(SGTIN96(hex: String(text)) == nil, "\(String(text))")
            }
        }
        #expect(SGTIN96(hex: String(good) + "Z") == nil)
        #expect(SGTIN96(hex: "E2801160600002000000FFFF") == nil)
        #expect(SGTIN96(hex: "301C257BF7194E4000001A85") == nil) // partition 7
    }

    @Test("eight hex digits at once agree with the digit table for every byte in every position")
    func hexWordMatchesTheTable() {
        func reference(_ bytes: [UInt8]) -> UInt32? {
            var value: UInt32 = 0
            for byte in bytes {
                guard let nibble = Bits.nibble(byte) else { return nil }
                value = value << 4 | UInt32(nibble)
            }
            return value
        }
        func word(_ bytes: [UInt8]) -> UInt64 { bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) } } // the first byte lowest, as in memory
        var generator = SplitMix64(seed: 8)
        let digits = Array("0123456789abcdefABCDEF".utf8)
        for position in 0..<8 {
            for byte in 0...255 {
                var bytes = (0..<8).map { _ in digits.randomElement(using: &generator)! }
                bytes[position] = UInt8(byte)
                #expect(HexDigits.value(ofEight: word(bytes)) == reference(bytes), "byte \(byte) at \(position)")
            }
        }
        for _ in 0..<20_000 {
            let bytes = (0..<8).map { _ in Bool.random(using: &generator) ? digits.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator) }
            #expect(HexDigits.value(ofEight: word(bytes)) == reference(bytes))
        }
        for byte in 0...255 {
            #expect(HexDigits.value(of: UInt8(byte)) == Bits.nibble(UInt8(byte)), "byte \(byte)")
        }
    }

    @Test("the GTIN check digit from digit pairs equals the digit-by-digit one")
    func pairCheckDigit() {
        var generator = SplitMix64(seed: 13)
        for body in [0, 1, 9_999_999_999_999, 8_061_414_112_345] + (0..<20_000).map({ _ in UInt64.random(in: 0..<10_000_000_000_000, using: &generator) }) {
            #expect(GS1.gtinCheckDigit(ofBody: body) == GS1.checkDigit(ofNumber: body, digits: 13), "\(body)")
        }
    }

    @Test("the hex fast path agrees with the general decoder on random and mangled input")
    func fromHexAgrees() throws {
        var generator = SplitMix64(seed: 0x96)
        let alphabet = Array("0123456789abcdefABCDEFxX G")
        for round in 0..<5_000 {
            let partition = Int.random(in: 0...7, using: &generator)
            var high = UInt64(0x30) << 56 | UInt64.random(in: 0..<(1 << 53), using: &generator)
            high = high & ~(UInt64(7) << 50) | UInt64(partition) << 50
            let low = UInt32.random(in: 0...UInt32.max, using: &generator)
            var text = Array(String(high, radix: 16).leftPadded(16) + String(low, radix: 16).leftPadded(8))
            if round % 3 == 0 { text[Int.random(in: 0..<text.count, using: &generator)] = alphabet.randomElement(using: &generator)! }
            if round % 5 == 0 { text += (0..<Int.random(in: 0...5, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! } }
            if round % 7 == 0 { text.removeLast(Int.random(in: 0...3, using: &generator)) }
            let hex = String(text)
            let fast = SGTIN96(hex: hex)
            let general = try? EPC.decode(hex: hex)
            if case .tag(let tag)? = general, tag.binaryScheme == .sgtin96 {
                let sgtin = try #require(fast, "\(hex) decodes in general but not on the fast path")
                #expect(sgtin.pureIdentityURI == tag.identity.pureIdentityURI && sgtin.filter == tag.filter, "\(hex)")
                #expect(sgtin.gtin14 == tag.identity.gtin14, "\(hex)")
            } else {
                #expect(fast == nil, "\(hex) decodes on the fast path only")
            }
        }
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
