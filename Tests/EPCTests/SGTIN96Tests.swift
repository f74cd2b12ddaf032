import Testing
@testable import EPC

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
        var generator = SeededGenerator(seed: 96)
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
}
