import Testing
@testable import EPC

/// Each kind of bad input is rejected with its own error code and a message naming the problem.
@Suite("EPC rejections")
struct RejectionTests {
    func code(_ body: () throws -> Void) -> EPCError.Code? {
        do {
            try body()
            return nil
        } catch let error as EPCError {
            return error.code
        } catch {
            Issue.record("\(error) is not an EPCError")
            return nil
        }
    }

    /// SGTIN-96, filter 3, partition 5 (7-digit prefix), serial 6789, with fields written as given.
    static func sgtin96(prefix: UInt64, item: UInt64) -> EPCBinary {
        var writer = BitWriter()
        for (value, bits) in [(0x30, 8), (3, 3), (5, 3), (prefix, 24), (item, 20), (6789, 38)] as [(UInt64, Int)] {
            writer.append(value, bits: bits)
        }
        return writer.binary
    }

    /// SGTIN-198 of 0614141.712345 (filter 3) with the serial field holding these 7-bit codes.
    static func sgtin198(serial codes: [UInt8]) -> EPCBinary {
        var writer = BitWriter()
        for (value, bits) in [(0x36, 8), (3, 3), (5, 3), (614_141, 24), (712_345, 20)] as [(UInt64, Int)] {
            writer.append(value, bits: bits)
        }
        for code in codes { writer.append(UInt64(code), bits: 7) }
        writer.appendZeros(140 - 7 * codes.count)
        return writer.binary
    }

    @Test("unknown headers and scheme names")
    func unknownHeader() {
        #expect(code { _ = try EPCTag(hex: "E2801160600002000000FFFF") } == .unknownHeader)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-97:3.0614141.812345.6789") } == .unknownHeader)
        #expect(code { _ = try EPCIdentity(pureIdentityURI: "urn:epc:id:gtin:0614141.812345.6789") } == .unknownHeader)
        #expect(code { _ = try EPCIdentity(elementString: "(10)ABC", companyPrefixLength: 7) } == .unknownHeader)
        #expect(code { _ = try SGTIN96(bytes: [0xE2] + Array(repeating: 0, count: 11)) } == .unknownHeader)
    }

    @Test("partition 7, and company prefixes no partition holds")
    func invalidPartition() {
        // 0x30 0x1C: filter 0, partition 7.
        #expect(code { _ = try EPCTag(hex: "301C257BF7194E4000001A85") } == .invalidPartition)
        for header in ["31", "32", "33", "34", "36", "2C", "2D", "2E", "3C", "3D", "3F", "40"] {
            #expect(code { _ = try EPCTag(hex: header + "FC" + String(repeating: "0", count: 52)) } == .invalidPartition, "header \(header)")
        }
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-96:3.0614141000000.1.6789") } == .invalidPartition)
        #expect(code { _ = try EPCIdentity(pureIdentityURI: "urn:epc:id:sgtin:06141.81234567.6789") } == .invalidPartition)
        #expect(code { _ = try EPCIdentity(pureIdentityURI: "urn:epc:id:sscc:0614141234567.1234") } == .invalidPartition)
        #expect(code { _ = try EPCIdentity(elementString: "(01)80614141123458(21)1", companyPrefixLength: 13) } == .invalidPartition)
    }

    @Test("fields larger than their slot")
    func fieldOverflow() {
        // Partition 5: a 7-digit prefix in 24 bits and a 6-digit reference in 20; both fields hold more.
        #expect(code { _ = try EPCTag(decoding: Self.sgtin96(prefix: 10_000_000, item: 812_345)) } == .fieldOverflow)
        #expect(code { _ = try EPCTag(decoding: Self.sgtin96(prefix: 614_141, item: 1_000_000)) } == .fieldOverflow)
        #expect(Self.sgtin96(prefix: 614_141, item: 812_345).hex == "3074257BF7194E4000001A85")
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-96:3.0614141.812345.274877906944") } == .fieldOverflow)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-96:8.0614141.812345.1") } == .fieldOverflow)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-96:3.0614141.8123456.1") } == .fieldOverflow)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-198:3.0614141.812345.123456789012345678901") } == .fieldOverflow)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:cpi-96:3.0614141.123456789.1") } == .fieldOverflow)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:cpi-var:0.0614141.1.1234567890123") } == .fieldOverflow)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:giai-96:3.0614141.288230376151711744") } == .fieldOverflow)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:itip-110:1.4012345.012345.100.02.987") } == .fieldOverflow)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgcn-96:3.4012345.67890.0123456789012") } == .fieldOverflow)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:usdod-96:16.2S194.1") } == .fieldOverflow)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:gid-96:268435456.1.1") } == .fieldOverflow)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:adi-var:64.2S194..1") } == .fieldOverflow)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:adi-var:1.2S194." + String(repeating: "A", count: 33) + ".1") } == .fieldOverflow)
        // A 6-bit string whose terminator never comes within its maximum length.
        let runaway = try? EPCTag(tagURI: "urn:epc:tag:adi-var:1.2S194.\(String(repeating: "A", count: 32)).1")
        if let runaway {
            var bytes = runaway.binary.paddedToWords.bytes
            // Overwrite the part number's terminator (bits 50 + 192 ..< 50 + 198) with an 'A' (000001).
            let bit = 50 + 32 * 6 + 5
            bytes[bit / 8] |= 0x80 >> UInt8(bit % 8)
            #expect(code { _ = try EPCTag(decoding: EPCBinary(bytes: bytes)) } == .fieldOverflow)
        } else {
            Issue.record("the longest ADI part number did not encode")
        }
    }

    @Test("bad check digits in element strings")
    func badCheckDigit() {
        #expect(code { _ = try EPCIdentity(elementString: "(01)80614141123457(21)6789", companyPrefixLength: 7) } == .badCheckDigit)
        #expect(code { _ = try EPCIdentity(elementString: "(00)106141412345678907", companyPrefixLength: 7) } == .badCheckDigit)
        #expect(code { _ = try EPCIdentity(elementString: "(414)0614141123453", companyPrefixLength: 7) } == .badCheckDigit)
        #expect(code { _ = try EPCIdentity(elementString: "(8003)006141411234535678", companyPrefixLength: 7) } == .badCheckDigit)
        #expect(code { _ = try EPCIdentity(elementString: "(253)0614141123453400", companyPrefixLength: 7) } == .badCheckDigit)
        #expect(code { _ = try EPCIdentity(elementString: "(8018)061414112345678903", companyPrefixLength: 7) } == .badCheckDigit)
        #expect(code { _ = try EPCIdentity(elementString: "(255)401234567890204711", companyPrefixLength: 7) } == .badCheckDigit)
        #expect(code { _ = try EPCIdentity(elementString: "(8006)040123451234570102(21)987", companyPrefixLength: 7) } == .badCheckDigit)
        #expect(code { _ = try SGTIN96(gtin14: "80614141123457", companyPrefixDigits: 7, serial: 1) } == .badCheckDigit)
    }

    @Test("input shorter than the scheme")
    func truncated() {
        #expect(code { _ = try EPCTag(hex: "3074257BF7194E4000001A") } == .truncated)
        #expect(code { _ = try EPCTag(hex: "3674257BF6B7A659B2C2BF10") } == .truncated)
        #expect(code { _ = try EPC.decode(hex: "3B0E0CF5E76C9047759AD00373DC76") } == .truncated) // ADI-var cut inside its serial
        #expect(code { _ = try EPC.decode(EPCBinary(bytes: [])) } == .truncated)
        #expect(code { _ = try EPCBinary(hex: "") } == .truncated)
        #expect(code { _ = try SGTIN96(bytes: [0x30, 0x74]) } == .truncated)
    }

    @Test("characters outside a string field's character set")
    func illegalCharacter() throws {
        // 7-bit: '#' (0x23) is not in the GS1 AI character set 82.
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-198:3.0614141.712345.a%23b") } == .illegalCharacter)
        #expect(code { _ = try EPCIdentity(pureIdentityURI: "urn:epc:id:giai:0614141.caf%C3%A9") } == .illegalCharacter)
        // The same in binary: serial "3#".
        #expect(code { _ = try EPCTag(decoding: Self.sgtin198(serial: Array("3#".utf8))) } == .illegalCharacter)
        // 6-bit: lower case, '#' inside an ADI serial, '#' in an ADI part number, I and O in a CAGE code.
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:cpi-var:3.0614141.5pq7.1") } == .illegalCharacter)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:adi-var:3.35962.PQ7VZ4.M37%23B92") } == .illegalCharacter)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:adi-var:3.35962.%23PQ7.M37") } == .illegalCharacter)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:usdod-96:3.2SI94.1") } == .illegalCharacter)
        // A 6-bit '@' code cannot be a CAGE character: 0x3B, filter, then 000000 where the space goes.
        #expect(code { _ = try EPCTag(hex: "3B0C0CF5E76C9047759AD00373DC7602E7200000") } == .illegalCharacter)
    }

    @Test("binary fields their coding method cannot produce")
    func invalidField() {
        // SSCC-96 with a bit set in its 24 reserved bits.
        #expect(code { _ = try EPCTag(hex: "3174257BF4499602D2000001") } == .invalidField)
        // SGCN-96 serial field holding 5 (not 1 followed by digits).
        #expect(code { _ = try EPCTag(hex: "3F74F4E4E612640000000005") } == .invalidField)
        // SGTIN-198 with an empty serial, and with a character after the terminating zero: "32" NUL "b".
        #expect(code { _ = try EPCTag(decoding: Self.sgtin198(serial: [])) } == .invalidField)
        #expect(code { _ = try EPCTag(decoding: Self.sgtin198(serial: [0x33, 0x32, 0x00, 0x62])) } == .invalidField)
        #expect(Self.sgtin198(serial: Array("32a/b".utf8)).paddedToWords.hex == "3674257BF6B7A659B2C2BF100000000000000000000000000000")
    }

    @Test("text that is not hex, a URI or an element string")
    func malformed() {
        #expect(code { _ = try EPCBinary(hex: "30XY") } == .malformed)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:id:sgtin:0614141.812345.6789") } == .malformed)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-96:3.0614141.812345") } == .malformed)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-96:3.0614141.812345.06789") } == .malformed) // leading zero
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-96:3.0614141.81234.6789") } == .malformed) // short reference
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-198:3.0614141.712345.a/b") } == .malformed) // '/' unescaped
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-198:3.0614141.712345.a%2") } == .malformed)
        #expect(code { _ = try EPCTag(tagURI: "urn:epc:tag:sgtin-198:3.0614141.712345.") } == .malformed)
        #expect(code { _ = try EPCIdentity(pureIdentityURI: "urn:epc:id:sgtin:0614141.812345") } == .malformed)
        #expect(code { _ = try EPCIdentity(elementString: "01)80614141123458", companyPrefixLength: 7) } == .malformed)
        #expect(code { _ = try EPCIdentity(elementString: "(01)8061414112345(21)1", companyPrefixLength: 7) } == .malformed)
    }

    @Test("every error code is exercised by a test above")
    func coverage() {
        // Guards the list: a new code needs a rejection test.
        #expect(Set(EPCError.Code.allCases) == [.unknownHeader, .invalidPartition, .fieldOverflow, .badCheckDigit, .truncated,
                                                 .illegalCharacter, .invalidField, .malformed])
    }
}
