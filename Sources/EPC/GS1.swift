/// GS1 helpers shared by the schemes: check digits and the company-prefix partition table.
public enum GS1 {
    /// The GS1 mod-10 check digit of a run of digits (without the check digit).
    public static func checkDigit(of digits: some Sequence<UInt8>) -> UInt8 {
        var sum = 0
        // Weights run 3,1,3,1… from the rightmost digit.
        let values = Array(digits)
        for (offset, digit) in values.reversed().enumerated() {
            sum += Int(digit) * (offset % 2 == 0 ? 3 : 1)
        }
        return UInt8((10 - sum % 10) % 10)
    }

    /// The check digit of a number with `count` digits, computed without leaving integers.
    @inline(__always)
    public static func checkDigit(ofNumber number: UInt64, digits count: Int) -> UInt64 {
        var n = number
        var sum: UInt64 = 0
        var weight: UInt64 = 3
        for _ in 0..<count {
            sum += (n % 10) * weight
            n /= 10
            weight = weight == 3 ? 1 : 3
        }
        return (10 - sum % 10) % 10
    }

    /// Whether a GTIN-8/12/13/14 (as text) has a valid check digit.
    public static func isValidGTIN(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard [8, 12, 13, 14].contains(bytes.count), bytes.allSatisfy({ (48...57).contains($0) }) else { return false }
        let digits = bytes.map { $0 - 48 }
        return checkDigit(of: digits.dropLast()) == digits.last
    }

    /// A GTIN-8/12/13/14 zero-padded to GTIN-14; `nil` when not a valid GTIN.
    public static func gtin14(_ text: String) -> String? {
        guard isValidGTIN(text) else { return nil }
        return String(repeating: "0", count: 14 - text.count) + text
    }

    /// Company-prefix bits and digits for partition values 0–6; the same table for every
    /// scheme that begins with filter + partition + company prefix (SGTIN, SSCC, SGLN, GRAI, GIAI, …).
    public static let companyPrefixPartitions: [(bits: Int, digits: Int)] = [
        (40, 12), (37, 11), (34, 10), (30, 9), (27, 8), (24, 7), (20, 6),
    ]

    /// Headers of the schemes laid out as header, filter (3 bits), partition, company prefix: every
    /// GS1-keyed binary scheme. GID, USDoD and ADI have no company prefix.
    static let partitionedHeaders: Set<UInt8> = [
        0x30, 0x36, 0x31, 0x32, 0x39, 0x33, 0x37, 0x34, 0x38, 0x2C, 0x3E, 0x2D, 0x2E, 0x3F, 0x3C, 0x3D, 0x40, 0x41,
    ]

    /// The check digit of a run of ASCII digits, as an ASCII digit.
    static func checkDigit(text: some StringProtocol) -> Character {
        Character(Unicode.Scalar(UInt8(ascii: "0") + checkDigit(of: text.utf8.map { $0 - UInt8(ascii: "0") })))
    }

    /// 10^n for n in 0...19 (the largest power of ten a UInt64 holds); larger `n` wrap as repeated `&* 10` would.
    /// A switch of constants, which the compiler turns into a table in read-only data: unlike a global
    /// array, nothing to initialise or check on first use.
    @inlinable @inline(__always)
    static func pow10(_ n: Int) -> UInt64 {
        switch n {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1_000
        case 4: return 10_000
        case 5: return 100_000
        case 6: return 1_000_000
        case 7: return 10_000_000
        case 8: return 100_000_000
        case 9: return 1_000_000_000
        case 10: return 10_000_000_000
        case 11: return 100_000_000_000
        case 12: return 1_000_000_000_000
        case 13: return 10_000_000_000_000
        case 14: return 100_000_000_000_000
        case 15: return 1_000_000_000_000_000
        case 16: return 10_000_000_000_000_000
        case 17: return 100_000_000_000_000_000
        case 18: return 1_000_000_000_000_000_000
        case 19: return 10_000_000_000_000_000_000
        default:
            var value: UInt64 = 1
            for _ in 0..<max(0, n) { value &*= 10 }
            return value
        }
    }

    /// The check digit of a GTIN-14's first 13 digits, the SGTIN fast path's last step: the digits
    /// are taken two at a time from a table of their weighted sums, in four independent chains
    /// rather than thirteen dependent divisions. Equal to `checkDigit(ofNumber: body, digits: 13)`.
    @inlinable @inline(__always)
    static func gtinCheckDigit(ofBody body: UInt64) -> UInt64 {
        // For 0...99, 3 × units + tens: the weighted sum of a pair of digits at an even position. A static
        // string's bytes sit in read-only data, so the table costs no initialisation and no check.
        let pairWeights: StaticString = "\u{0}\u{3}\u{6}\u{9}\u{c}\u{f}\u{12}\u{15}\u{18}\u{1b}\u{1}\u{4}\u{7}\u{a}\u{d}\u{10}\u{13}\u{16}\u{19}\u{1c}\u{2}\u{5}\u{8}\u{b}\u{e}\u{11}\u{14}\u{17}\u{1a}\u{1d}\u{3}\u{6}\u{9}\u{c}\u{f}\u{12}\u{15}\u{18}\u{1b}\u{1e}\u{4}\u{7}\u{a}\u{d}\u{10}\u{13}\u{16}\u{19}\u{1c}\u{1f}\u{5}\u{8}\u{b}\u{e}\u{11}\u{14}\u{17}\u{1a}\u{1d}\u{20}\u{6}\u{9}\u{c}\u{f}\u{12}\u{15}\u{18}\u{1b}\u{1e}\u{21}\u{7}\u{a}\u{d}\u{10}\u{13}\u{16}\u{19}\u{1c}\u{1f}\u{22}\u{8}\u{b}\u{e}\u{11}\u{14}\u{17}\u{1a}\u{1d}\u{20}\u{23}\u{9}\u{c}\u{f}\u{12}\u{15}\u{18}\u{1b}\u{1e}\u{21}\u{24}"
        // Every chunk starts at an even position from the right, where the weight is 3.
        let a = body % 10_000
        let b = body / 10_000 % 10_000
        let c = body / 100_000_000 % 10_000
        let d = body / 1_000_000_000_000 % 100
        let w = pairWeights.utf8Start
        let sum = UInt64(w[Int(a % 100)]) &+ UInt64(w[Int(a / 100)]) &+ UInt64(w[Int(b % 100)]) &+ UInt64(w[Int(b / 100)])
            &+ UInt64(w[Int(c % 100)]) &+ UInt64(w[Int(c / 100)]) &+ UInt64(w[Int(d)])
        return (10 &- sum % 10) % 10
    }

    /// For each byte: its value as a hex digit (either case), or 0xFF when it is not one.
    static let hexDigitValues: [UInt8] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(byte) - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt8(byte) - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt8(byte) - UInt8(ascii: "A") + 10
        default: 0xFF
        }
    }

    /// Two uppercase hex digits.
    static func hexByte(_ byte: UInt8) -> String { String(format2: byte) }

    /// Digits of `value`, left-padded with zeros to `width` (a GTIN-14 is a small string, so no allocation).
    public static func padded(_ value: UInt64, _ width: Int) -> String {
        String(unsafeUninitializedCapacity: max(width, 20)) { writeDecimal(value, width: width, into: $0, at: 0) }
    }

    /// Writes `value` in at least `width` digits, zero-padded, at `start`; returns the index after the last digit.
    /// `buffer` must have room for `max(width, 20)` bytes from `start`.
    @inline(__always)
    static func writeDecimal(_ value: UInt64, width: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var count = 1
        var rest = value / 10
        while rest > 0 { count &+= 1; rest /= 10 }
        let end = start &+ max(count, width)
        var index = end
        rest = value
        while index > start {
            index &-= 1
            buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        return end
    }

    /// Writes `text` at `start`; returns the index after it.
    @inline(__always)
    static func write(_ text: StaticString, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        let bytes = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        _ = UnsafeMutableBufferPointer(rebasing: buffer[start...]).initialize(fromContentsOf: bytes)
        return start &+ bytes.count
    }
}

/// A GS1 company prefix with its length: `0614141` is value 614141 with 7 digits.
public struct CompanyPrefix: Hashable, Sendable, CustomStringConvertible {
    /// The prefix as a number.
    public var value: UInt64
    /// How many digits it has, leading zeros included.
    public var digits: Int

    /// Creates a prefix from its value and length.
    @inlinable
    public init(value: UInt64, digits: Int) {
        self.value = value
        self.digits = digits
    }

    /// Parses a prefix of 6 to 12 digits.
    public init?(_ text: String) {
        guard (6...12).contains(text.count), let value = UInt64(text), text.allSatisfy(\.isASCII) else { return nil }
        self.init(value: value, digits: text.count)
    }

    /// The company prefix of a partitioned GS1 EPC given its first 64 bits; `nil` for other headers.
    @inline(__always)
    public init?(epcLeadingWord word: UInt64) {
        let header = UInt8(truncatingIfNeeded: word >> 56)
        guard GS1.partitionedHeaders.contains(header) else { return nil }
        let partition = Int((word >> 50) & 0x7)
        guard partition < 7 else { return nil }
        let (bits, digits) = GS1.companyPrefixPartitions[partition]
        let value = (word << 14) >> UInt64(64 - bits)
        guard value < GS1.pow10(digits) else { return nil }
        self.init(value: value, digits: digits)
    }

    public var description: String { GS1.padded(value, digits) }
}
