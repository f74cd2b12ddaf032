import Testing
@testable import EPC

/// One worked example: the same EPC in every representation.
struct Vector: CustomTestStringConvertible, Sendable {
    let hex: String
    let tagURI: String
    let pureURI: String
    let elementString: String?
    let companyPrefixLength: Int?

    var testDescription: String { tagURI }

    init(_ hex: String, _ tagURI: String, _ pureURI: String, _ elementString: String? = nil) {
        self.hex = hex
        self.tagURI = tagURI
        self.pureURI = pureURI
        self.elementString = elementString
        // Every GS1 vector here uses a 7-digit company prefix.
        companyPrefixLength = elementString == nil ? nil : 7
    }
}

/// The worked examples of the TDS (SGTIN-96, SGTIN-198, SSCC-96, SGLN-96, GRAI-96, GIAI-96, ADI-var)
/// and one vector for every other scheme. Each was checked against an independent implementation
/// of the standard, and the hex of GID-96 and ADI-var was worked out bit by bit from the field tables.
let vectors: [Vector] = [
    Vector("3074257BF7194E4000001A85", "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
           "urn:epc:id:sgtin:0614141.812345.6789", "(01)80614141123458(21)6789"),
    Vector("3674257BF6B7A659B2C2BF100000000000000000000000000000", "urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb",
           "urn:epc:id:sgtin:0614141.712345.32a%2Fb", "(01)70614141123451(21)32a/b"),
    Vector("3174257BF4499602D2000000", "urn:epc:tag:sscc-96:3.0614141.1234567890",
           "urn:epc:id:sscc:0614141.1234567890", "(00)106141412345678908"),
    Vector("3274257BF46072000000162E", "urn:epc:tag:sgln-96:3.0614141.12345.5678",
           "urn:epc:id:sgln:0614141.12345.5678", "(414)0614141123452(254)5678"),
    Vector("3974257BF46072CD9615F8800000000000000000000000000000", "urn:epc:tag:sgln-195:3.0614141.12345.32a%2Fb",
           "urn:epc:id:sgln:0614141.12345.32a%2Fb", "(414)0614141123452(254)32a/b"),
    Vector("3374257BF40C0E400000162E", "urn:epc:tag:grai-96:3.0614141.12345.5678",
           "urn:epc:id:grai:0614141.12345.5678", "(8003)006141411234525678"),
    Vector("3774257BF40C0E59B2C2BF1000000000000000000000", "urn:epc:tag:grai-170:3.0614141.12345.32a%2Fb",
           "urn:epc:id:grai:0614141.12345.32a%2Fb", "(8003)0061414112345232a/b"),
    Vector("3474257BF400000000003039", "urn:epc:tag:giai-96:3.0614141.12345",
           "urn:epc:id:giai:0614141.12345", "(8004)061414112345"),
    Vector("3874257BF59B2C2BF10000000000000000000000000000000000", "urn:epc:tag:giai-202:3.0614141.32a%2Fb",
           "urn:epc:id:giai:0614141.32a%2Fb", "(8004)061414132a/b"),
    Vector("350007AB70425D4000000586", "urn:epc:tag:gid-96:31415.271828.1414", "urn:epc:id:gid:31415.271828.1414"),
    Vector("2C74257BF460720000000190", "urn:epc:tag:gdti-96:3.0614141.12345.400",
           "urn:epc:id:gdti:0614141.12345.400", "(253)0614141123452400"),
    Vector("3E74257BF46072CD9615F88000000000000000000000", "urn:epc:tag:gdti-174:3.0614141.12345.32a%2Fb",
           "urn:epc:id:gdti:0614141.12345.32a%2Fb", "(253)061414112345232a/b"),
    Vector("2D74257BF4499602D2000000", "urn:epc:tag:gsrn-96:3.0614141.1234567890",
           "urn:epc:id:gsrn:0614141.1234567890", "(8018)061414112345678902"),
    Vector("2E74257BF4499602D2000000", "urn:epc:tag:gsrnp-96:3.0614141.1234567890",
           "urn:epc:id:gsrnp:0614141.1234567890", "(8017)061414112345678902"),
    Vector("3F74F4E4E612640000019907", "urn:epc:tag:sgcn-96:3.4012345.67890.04711",
           "urn:epc:id:sgcn:4012345.67890.04711", "(255)401234567890104711"),
    Vector("3C74257BF400F120075BCD15", "urn:epc:tag:cpi-96:3.0614141.123456.123456789",
           "urn:epc:id:cpi:0614141.123456.123456789", "(8010)0614141123456(8011)123456789"),
    Vector("3D74257BF75411DEF6B4CC00000003039000", "urn:epc:tag:cpi-var:3.0614141.5PQ7%2FZ43.12345",
           "urn:epc:id:cpi:0614141.5PQ7%2FZ43.12345", "(8010)06141415PQ7/Z43(8011)12345"),
    Vector("4034F4E4E40C0E40820000000F6C", "urn:epc:tag:itip-110:1.4012345.012345.01.02.987",
           "urn:epc:id:itip:4012345.012345.01.02.987", "(8006)040123451234560102(21)987"),
    Vector("4134F4E4E40C0E4082DBDD8B36600000000000000000000000000000", "urn:epc:tag:itip-212:1.4012345.012345.01.02.mw133",
           "urn:epc:id:itip:4012345.012345.01.02.mw133", "(8006)040123451234560102(21)mw133"),
    Vector("2F02032533139342DFDC1C35", "urn:epc:tag:usdod-96:0.2S194.12345678901", "urn:epc:id:usdod:2S194.12345678901"),
    Vector("2F3573831583943000000001", "urn:epc:tag:usdod-96:3.W81X9C.1", "urn:epc:id:usdod:W81X9C.1"),
    Vector("3B0E0CF5E76C9047759AD00373DC7602E7200000", "urn:epc:tag:adi-var:3.35962.PQ7VZ4.M37GXB92",
           "urn:epc:id:adi:35962.PQ7VZ4.M37GXB92"),
    Vector("3B020C93C79D008F1CB30000", "urn:epc:tag:adi-var:0.2S194..%23123", "urn:epc:id:adi:2S194..%23123"),
]

@Suite("TDS vectors")
struct VectorTests {
    @Test("binary decodes to the tag URI, the pure identity and the element string", arguments: vectors)
    func decode(_ vector: Vector) throws {
        let tag = try EPCTag(hex: vector.hex)
        #expect(tag.tagURI == vector.tagURI)
        #expect(tag.identity.pureIdentityURI == vector.pureURI)
        #expect(tag.identity.elementString == vector.elementString)
        #expect(tag.hex == vector.hex)
        #expect(try EPC.decode(hex: vector.hex) == .tag(tag))
    }

    @Test("the tag URI encodes to the binary", arguments: vectors)
    func encode(_ vector: Vector) throws {
        let tag = try EPCTag(tagURI: vector.tagURI)
        #expect(tag.hex == vector.hex)
        #expect(tag.binaryScheme.rawValue == vector.tagURI.split(separator: ":")[3].description)
    }

    @Test("the pure identity and the element string parse to the same identity", arguments: vectors)
    func identity(_ vector: Vector) throws {
        let identity = try EPCIdentity(pureIdentityURI: vector.pureURI)
        #expect(identity == (try EPCTag(hex: vector.hex)).identity)
        #expect(identity.pureIdentityURI == vector.pureURI)
        if let elementString = vector.elementString, let length = vector.companyPrefixLength {
            #expect(try EPCIdentity(elementString: elementString, companyPrefixLength: length) == identity)
        }
    }

    @Test("GS1 keys of the worked examples")
    func keys() throws {
        let sgtin = try EPCIdentity(pureIdentityURI: "urn:epc:id:sgtin:0614141.812345.6789")
        #expect(sgtin.gtin14 == "80614141123458")
        #expect(sgtin.gs1Key == "80614141123458")
        #expect(sgtin.companyPrefix == "0614141")
        #expect(try EPCIdentity(pureIdentityURI: "urn:epc:id:sscc:0614141.1234567890").gs1Key == "106141412345678908")
        #expect(try EPCIdentity(pureIdentityURI: "urn:epc:id:sgln:0614141.12345.0").gs1Key == "0614141123452")
        // An SGLN without extension is coded with extension 0, and its element string has no AI 254.
        #expect(try EPCIdentity(pureIdentityURI: "urn:epc:id:sgln:0614141.12345.0").elementString == "(414)0614141123452")
        #expect(try EPCIdentity(pureIdentityURI: "urn:epc:id:gid:31415.271828.1414").gs1Key == nil)
        #expect(try EPCIdentity(pureIdentityURI: "urn:epc:id:itip:4012345.012345.01.02.987").gtin14 == "04012345123456")
    }

    @Test("a pure identity is coded in the narrowest scheme that holds it")
    func narrowest() throws {
        func scheme(_ uri: String) throws -> EPCBinaryScheme { try EPCTag(EPCIdentity(pureIdentityURI: uri), filter: 1).binaryScheme }
        #expect(try scheme("urn:epc:id:sgtin:0614141.812345.6789") == .sgtin96)
        #expect(try scheme("urn:epc:id:sgtin:0614141.812345.06789") == .sgtin198) // leading zero: a string serial
        #expect(try scheme("urn:epc:id:sgtin:0614141.812345.274877906944") == .sgtin198) // 2^38
        #expect(try scheme("urn:epc:id:sgtin:0614141.812345.274877906943") == .sgtin96)
        #expect(try scheme("urn:epc:id:giai:0614141.12345") == .giai96)
        #expect(try scheme("urn:epc:id:giai:0614141.A12345") == .giai202)
        #expect(try scheme("urn:epc:id:cpi:0614141.123456.1") == .cpi96)
        #expect(try scheme("urn:epc:id:cpi:0614141.0123456.1") == .cpiVar)
        #expect(try scheme("urn:epc:id:sgln:0614141.12345.0") == .sgln96)
    }

    @Test("bits after the scheme's end are ignored; the canonical encoding is padded to 16-bit words")
    func padding() throws {
        let long = try EPCTag(hex: "3074257BF7194E4000001A85" + "FFFF")
        #expect(long.tagURI == "urn:epc:tag:sgtin-96:3.0614141.812345.6789")
        #expect(long.binary.bitCount == 96)
        let sgtin198 = try EPCTag(tagURI: "urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb")
        #expect(sgtin198.binary.bitCount == 198)
        #expect(sgtin198.hex.count == 52) // 208 bits
    }

    @Test("tags without a TDS header are raw and never guessed at")
    func raw() throws {
        let tid = try EPC.decode(hex: "E2801160600002000000FFFF")
        guard case .raw(let binary) = tid else { Issue.record("decoded \(tid)"); return }
        #expect(binary.hex == "E2801160600002000000FFFF")
        #expect(tid.tagURI == "urn:epc:raw:96.xE2801160600002000000FFFF")
        // The deprecated GDTI-113 and the TDS 2.0 '+' schemes are not decoded either.
        for header in ["3A", "F7", "00"] {
            guard case .raw = try EPC.decode(hex: header + "74257BF7194E4000001A85") else { Issue.record("0x\(header) decoded"); continue }
        }
    }
}
