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

    @Test("the company-prefix filter accepts the store's own tags only")
    func prefixFilter() throws {
        let filter = CompanyPrefixFilter([try #require(CompanyPrefix("0614141"))])
        let own = try SGTIN96(gtin14: "80614141123458", companyPrefixDigits: 7, serial: 1)
        let other = try SGTIN96(filter: 1, companyPrefix: CompanyPrefix(value: 12_345, digits: 7), itemReference: 100_001, serial: 1)
        func word(_ s: SGTIN96) -> UInt64 { s.bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } }
        #expect(filter.accepts(epcLeadingWord: word(own)))
        #expect(!filter.accepts(epcLeadingWord: word(other)))
        #expect(!filter.accepts(epcLeadingWord: 0xE280_1160_6000_0000))
    }
}
