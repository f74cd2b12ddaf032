import Testing
@testable import EPC

/// Partition boundaries and the largest values of every field, checked against the TDS tables as
/// transcribed here (independently of the tables the code uses).
@Suite("EPC boundaries")
struct BoundaryTests {
    /// Company prefix bits and digits per partition, TDS Table 14-2 and its siblings.
    static let companyPrefix = [(40, 12), (37, 11), (34, 10), (30, 9), (27, 8), (24, 7), (20, 6)]
    /// Bits and digits of the field after the company prefix, per partition.
    static let secondField: [EPCBinaryScheme: [(Int, Int)]] = [
        .sgtin96: [(4, 1), (7, 2), (10, 3), (14, 4), (17, 5), (20, 6), (24, 7)],
        .itip110: [(4, 1), (7, 2), (10, 3), (14, 4), (17, 5), (20, 6), (24, 7)],
        .sscc96: [(18, 5), (21, 6), (24, 7), (28, 8), (31, 9), (34, 10), (38, 11)],
        .gsrn96: [(18, 5), (21, 6), (24, 7), (28, 8), (31, 9), (34, 10), (38, 11)],
        .gsrnp96: [(18, 5), (21, 6), (24, 7), (28, 8), (31, 9), (34, 10), (38, 11)],
        .sgln96: [(1, 0), (4, 1), (7, 2), (11, 3), (14, 4), (17, 5), (21, 6)],
        .gdti96: [(1, 0), (4, 1), (7, 2), (11, 3), (14, 4), (17, 5), (21, 6)],
        .sgcn96: [(1, 0), (4, 1), (7, 2), (11, 3), (14, 4), (17, 5), (21, 6)],
        .grai96: [(4, 0), (7, 1), (10, 2), (14, 3), (17, 4), (20, 5), (24, 6)],
    ]

    /// The largest and the smallest values of both partitioned fields, for every partition: the bits
    /// land where the table says, and the EPC decodes back.
    @Test("partition tables", arguments: Array(secondField.keys).sorted { $0.rawValue < $1.rawValue })
    func partitionTable(_ scheme: EPCBinaryScheme) throws {
        let rows = try #require(Self.secondField[scheme])
        let tail: [String] = switch scheme.scheme {
        case .sgtin, .grai: ["274877906943"]
        case .sgln, .gdti: ["2199023255551"]
        case .sgcn: ["999999999999"]
        case .itip: ["99", "99", "274877906943"]
        default: []
        }
        for partition in 0..<7 {
            let (prefixBits, prefixDigits) = Self.companyPrefix[partition]
            let (secondBits, secondDigits) = rows[partition]
            for digit in ["9", "0"] {
                let components = [String(repeating: digit, count: prefixDigits), String(repeating: digit, count: secondDigits)] + tail
                let tag = try EPCTag(scheme, filter: 7, identity: EPCIdentity(scheme.scheme, components: components))
                let bits = tag.binary
                #expect(bits.epcBits(at: 0, count: 8) == UInt64(scheme.header))
                #expect(bits.epcBits(at: 8, count: 3) == 7)
                #expect(bits.epcBits(at: 11, count: 3) == UInt64(partition))
                #expect(bits.epcBits(at: 14, count: prefixBits) == UInt64(components[0])!)
                #expect(bits.epcBits(at: 14 + prefixBits, count: secondBits) == (UInt64(components[1]) ?? 0))
                #expect(try EPCTag(decoding: bits) == tag)
            }
        }
    }

    /// GIAI-96 and CPI-96 code the field after the prefix as an integer without leading zeros, bounded
    /// both by its bits and by a digit count: the largest value each partition allows fits, one more does not.
    @Test("unpadded partition tables", arguments: [
        (EPCBinaryScheme.giai96, [(42, 13), (45, 14), (48, 15), (52, 16), (55, 17), (58, 18), (62, 19)]),
        (EPCBinaryScheme.cpi96, [(11, 3), (14, 4), (17, 5), (21, 6), (24, 7), (27, 8), (31, 9)]),
    ])
    func unpaddedPartitionTable(_ scheme: EPCBinaryScheme, _ rows: [(Int, Int)]) throws {
        for partition in 0..<7 {
            let (prefixBits, prefixDigits) = Self.companyPrefix[partition]
            let (bits, digits) = rows[partition]
            let largest = min((1 << UInt64(bits)) - 1, GS1.pow10(digits) - 1)
            let prefix = String(repeating: "9", count: prefixDigits)
            let tail = scheme == .cpi96 ? ["1"] : []
            let tag = try EPCTag(scheme, filter: 0, identity: EPCIdentity(scheme.scheme, components: [prefix, String(largest)] + tail))
            #expect(tag.binary.epcBits(at: 11, count: 3) == UInt64(partition))
            #expect(tag.binary.epcBits(at: 14 + prefixBits, count: bits) == largest)
            #expect(try EPCTag(decoding: tag.binary) == tag)
            // Still a valid identity (the wider scheme holds it), but not in this scheme.
            let identity = try EPCIdentity(scheme.scheme, components: [prefix, String(largest + 1)] + tail)
            #expect(throws: EPCError.self) { try EPCTag(scheme, filter: 0, identity: identity) }
        }
    }

    /// Largest (and smallest) values, with the hex worked out from the field widths.
    @Test("extreme values", arguments: [
        ("urn:epc:tag:sgtin-96:7.999999999999.9.274877906943", "30E3A352943FFE7FFFFFFFFF"),
        ("urn:epc:tag:sgtin-96:0.000000.0000000.0", "301800000000000000000000"),
        ("urn:epc:tag:sgtin-96:1.999999.9999999.274877906943", "303BD08FE6259FFFFFFFFFFF"),
        ("urn:epc:tag:sscc-96:2.999999999999.99999", "3143A352943FFD869F000000"),
        ("urn:epc:tag:sgln-96:4.999999999999..2199023255551", "3283A352943FFDFFFFFFFFFF"),
        ("urn:epc:tag:grai-96:5.999999.999999.274877906943", "33BBD08FC3D08FFFFFFFFFFF"),
        ("urn:epc:tag:giai-96:6.999999.4611686018427387903", "34DBD08FFFFFFFFFFFFFFFFF"),
        ("urn:epc:tag:gid-96:268435455.16777215.68719476735", "35FFFFFFFFFFFFFFFFFFFFFF"),
        ("urn:epc:tag:cpi-96:0.999999999999.999.2147483647", "3C03A352943FFDF3FFFFFFFF"),
        ("urn:epc:tag:sgcn-96:0.999999999999..999999999999", "3F03A352943FFDD1A94A1FFF"),
        ("urn:epc:tag:usdod-96:15.ZZZZZZ.68719476735", "2FF5A5A5A5A5A5AFFFFFFFFF"),
    ])
    func extremes(_ uri: String, _ hex: String) throws {
        #expect(try EPCTag(tagURI: uri).hex == hex)
        #expect(try EPCTag(hex: hex).tagURI == uri)
    }

    @Test("one past the largest value is rejected")
    func pastTheEnd() {
        for uri in [
            "urn:epc:tag:sgtin-96:7.999999999999.9.274877906944",
            "urn:epc:tag:sgln-96:4.999999999999..2199023255552",
            "urn:epc:tag:giai-96:6.999999.4611686018427387904",
            "urn:epc:tag:gid-96:268435456.16777215.68719476735",
            "urn:epc:tag:cpi-96:0.999999999999.1000.1",
            "urn:epc:tag:cpi-96:0.999999999999.999.2147483648",
            "urn:epc:tag:usdod-96:15.ZZZZZZ.68719476736",
        ] {
            #expect(throws: EPCError.self, "\(uri)") { try EPCTag(tagURI: uri) }
        }
    }

    @Test("longest strings of the long schemes")
    func longestStrings() throws {
        let twenty = String(repeating: "z", count: 20)
        for (uri, bits) in [
            ("urn:epc:tag:sgtin-198:0.000000.0000000.\(twenty)", 198),
            ("urn:epc:tag:sgln-195:0.000000.000000.\(twenty)", 195),
            ("urn:epc:tag:grai-170:0.000000.000000.\(twenty.prefix(16))", 170),
            ("urn:epc:tag:gdti-174:0.000000.000000.\(twenty.prefix(17))", 174),
            ("urn:epc:tag:itip-212:0.000000.0000000.00.00.\(twenty)", 212),
            ("urn:epc:tag:giai-202:0.000000.\(twenty)zzzz", 202),
            ("urn:epc:tag:giai-202:0.000000000000.\(twenty.prefix(18))", 202),
        ] {
            let tag = try EPCTag(tagURI: uri)
            #expect(tag.binary.bitCount == bits)
            #expect(try EPCTag(hex: tag.hex).tagURI == uri)
            // One more character does not fit.
            #expect(throws: EPCError.self) { try EPCTag(tagURI: uri + "z") }
        }
        let longestCPI = "urn:epc:tag:cpi-var:0.000000.\(String(repeating: "%23", count: 24)).999999999999"
        #expect(try EPCTag(tagURI: longestCPI).binary.bitCount == 8 + 6 + 20 + 150 + 40)
        let longestADI = "urn:epc:tag:adi-var:63.W81X9C.\(String(repeating: "9", count: 32)).%23\(String(repeating: "-", count: 29))"
        let adi = try EPCTag(tagURI: longestADI)
        #expect(adi.binary.bitCount == 8 + 6 + 36 + 33 * 6 + 31 * 6)
        #expect(try EPCTag(hex: adi.hex).tagURI == longestADI)
    }
}
