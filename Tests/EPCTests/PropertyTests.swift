import Testing
@testable import EPC
import SeededRandom

/// Draws random valid EPCs of one binary scheme, leaning towards the extremes (empty or full fields,
/// largest values, longest strings) where encoders go wrong.
struct EPCGenerator {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    static let gs1Characters = Array("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
    static let cpiCharacters = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ#-/")
    static let adiCharacters = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-/")
    static let cageCharacters = Array("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")

    mutating func extreme() -> Bool { Int.random(in: 0..<4, using: &random) == 0 }

    mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
    }

    /// An integer below `limit`, at the limit a quarter of the time.
    mutating func integer(below limit: UInt64) -> UInt64 {
        extreme() ? limit - 1 : UInt64.random(in: 0..<limit, using: &random)
    }

    mutating func string(_ alphabet: [Character], length range: ClosedRange<Int>) -> String {
        let length = extreme() ? range.upperBound : Int.random(in: range, using: &random)
        return String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
    }

    mutating func tag(_ scheme: EPCBinaryScheme) throws -> EPCTag {
        var components: [String] = []
        for segment in scheme.segments {
            switch segment {
            case .partition(let table):
                let partition = Int.random(in: 0...6, using: &random)
                let prefix = GS1.companyPrefixPartitions[partition]
                components.append(extreme() ? String(repeating: "9", count: prefix.digits) : digits(prefix.digits))
                let row = table.rows[partition]
                switch table.kind {
                case .padded: components.append(extreme() ? String(repeating: "9", count: row.digits) : digits(row.digits))
                case .unpadded: components.append(String(integer(below: min(GS1.pow10(row.digits), 1 << UInt64(row.bits)))))
                case .string7: components.append(string(Self.gs1Characters, length: 1...row.digits))
                case .string6: components.append(string(Self.cpiCharacters, length: 1...row.digits))
                }
            case .integer(let bits, let maxDigits):
                components.append(String(integer(below: min(1 << UInt64(bits), maxDigits.map(GS1.pow10) ?? .max))))
            case .string7(let bits):
                components.append(string(Self.gs1Characters, length: 1...(bits / 7)))
            case .numericString(_, let maxDigits):
                components.append(digits(extreme() ? maxDigits : Int.random(in: 1...maxDigits, using: &random)))
            case .fixedWidth(_, let digits):
                components.append(GS1.padded(integer(below: GS1.pow10(digits)), digits))
            case .string6(let maxCharacters, let minCharacters, let set):
                var value = string(Self.adiCharacters, length: minCharacters...maxCharacters)
                if set == .adiSerial, !value.isEmpty, Bool.random(using: &random) { value = "#" + value.dropFirst() }
                components.append(value)
            case .cage6, .cage8:
                components.append(string(Self.cageCharacters, length: 5...6))
            case .reserved:
                break
            }
        }
        let filter = UInt8(integer(below: 1 << UInt64(scheme.filterBits)))
        return try EPCTag(scheme, filter: filter, identity: EPCIdentity(scheme.scheme, components: components))
    }
}

@Suite("EPC properties")
struct PropertyTests {
    static let cases = 400

    @Test("random EPCs round-trip binary → tag URI → binary, pure URI and element string exactly", arguments: EPCBinaryScheme.allCases)
    func roundTrip(_ scheme: EPCBinaryScheme) throws {
        var generator = EPCGenerator(seed: UInt64(scheme.header))
        for _ in 0..<Self.cases {
            let tag = try generator.tag(scheme)
            let decoded = try EPCTag(decoding: tag.binary)
            #expect(decoded == tag)
            let reparsed = try EPCTag(tagURI: decoded.tagURI)
            #expect(reparsed.binary == tag.binary, "\(decoded.tagURI)")
            #expect(try EPCTag(hex: tag.hex) == tag)
            let identity = try EPCIdentity(pureIdentityURI: tag.identity.pureIdentityURI)
            #expect(identity == tag.identity, "\(tag.identity.pureIdentityURI)")
            if let elementString = tag.identity.elementString, let prefix = tag.identity.companyPrefix {
                #expect(try EPCIdentity(elementString: elementString, companyPrefixLength: prefix.count) == tag.identity, "\(elementString)")
            }
            if let length = scheme.bitLength { #expect(tag.binary.bitCount == length) }
        }
    }

    @Test("flipping any header or partition bit is rejected or decodes to a different EPC", arguments: EPCBinaryScheme.allCases)
    func bitFlips(_ scheme: EPCBinaryScheme) throws {
        var generator = EPCGenerator(seed: 0xF11F ^ UInt64(scheme.header))
        let partitioned = scheme.segments.contains { if case .partition = $0 { true } else { false } }
        let partitionBits = partitioned ? Array((8 + scheme.filterBits)..<(11 + scheme.filterBits)) : []
        for _ in 0..<(Self.cases / 4) {
            let tag = try generator.tag(scheme)
            for bit in Array(0..<8) + partitionBits {
                var bytes = tag.binary.paddedToWords.bytes
                bytes[bit / 8] ^= 0x80 >> UInt8(bit % 8)
                do {
                    let decoded = try EPC.decode(EPCBinary(bytes: bytes))
                    #expect(decoded != .tag(tag), "bit \(bit) of \(tag.hex)")
                } catch {
                    // Rejected with a typed error: fine.
                    #expect(!error.message.isEmpty)
                }
            }
        }
    }

    @Test("random bits behind every header never crash the decoder")
    func fuzz() {
        var random = SplitMix64(seed: 0xF022)
        var decoded = 0
        for header in EPCBinaryScheme.allCases.map(\.header) {
            for _ in 0..<300 {
                let length = Int.random(in: 1...64, using: &random)
                let bytes = [header] + (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                if let epc = try? EPC.decode(EPCBinary(bytes: bytes)), case .tag(let tag) = epc {
                    decoded += 1
                    // Whatever decodes must re-encode, through its URI, to the bits it came from.
                    #expect((try? EPCTag(tagURI: tag.tagURI).binary) == tag.binary, "\(tag.binary.hex)")
                }
            }
        }
        #expect(decoded > 0)
    }

    @Test("identity patterns built from an EPC match it, and do not match a neighbour", arguments: EPCBinaryScheme.allCases)
    func patternsMatchTheirEPC(_ scheme: EPCBinaryScheme) throws {
        var generator = EPCGenerator(seed: 0xBA7 ^ UInt64(scheme.header))
        for _ in 0..<(Self.cases / 4) {
            let tag = try generator.tag(scheme)
            let exact = try EPCPattern(tag.tagURI.replacingPrefix("urn:epc:tag:", with: "urn:epc:pat:"))
            #expect(exact.matches(tag.binary), "\(exact)")
            let identity = try EPCPattern(tag.identity.pureIdentityURI.replacingPrefix("urn:epc:id:", with: "urn:epc:idpat:"))
            #expect(identity.matches(tag.binary), "\(identity)")
            let other = try generator.tag(scheme)
            if other.identity != tag.identity { #expect(!identity.matches(other.binary), "\(identity) matched \(other)") }
        }
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
