/// A Serialised GTIN in its 96-bit binary form (TDS §14.5.1): the tag on a retail item.
///
/// Decoding works on two integers, so the pipeline can decode every read without allocating.
public struct SGTIN96: Hashable, Sendable {
    /// The binary header that marks SGTIN-96.
    public static let header: UInt8 = 0x30
    /// Item-reference bits and digits for each partition (company-prefix sizes are in ``GS1``).
    static let itemReferencePartitions: [(bits: Int, digits: Int)] = [(4, 1), (7, 2), (10, 3), (14, 4), (17, 5), (20, 6), (24, 7)]

    /// The filter value (0–7; 1 = point of sale item, 3 = … see TDS).
    public var filter: UInt8
    /// The company prefix.
    public var companyPrefix: CompanyPrefix
    /// The indicator digit followed by the item reference, as a number.
    public var itemReference: UInt64
    /// The serial number (up to 38 bits).
    public var serial: UInt64

    /// Creates an SGTIN from its parts, checking that they fit the 96-bit layout.
    public init(filter: UInt8, companyPrefix: CompanyPrefix, itemReference: UInt64, serial: UInt64) throws(EPCError) {
        guard filter < 8 else { throw EPCError(.fieldOverflow, "filter \(filter) does not fit 3 bits") }
        guard let partition = GS1.companyPrefixPartitions.firstIndex(where: { $0.digits == companyPrefix.digits }) else {
            throw EPCError(.invalidPartition, "a company prefix of \(companyPrefix.digits) digits has no SGTIN partition (6–12)")
        }
        guard itemReference < GS1.pow10(Self.itemReferencePartitions[partition].digits) else {
            throw EPCError(.fieldOverflow, "item reference \(itemReference) has more than \(Self.itemReferencePartitions[partition].digits) digits")
        }
        guard serial < (1 << 38) else { throw EPCError(.fieldOverflow, "serial \(serial) does not fit 38 bits") }
        self.filter = filter
        self.companyPrefix = companyPrefix
        self.itemReference = itemReference
        self.serial = serial
    }

    /// Item-reference bits for partitions 0–6, five bits each, so the fast path reads no table.
    @usableFromInline static let packedItemReferenceBits: UInt64 = 4 | 7 << 5 | 10 << 10 | 14 << 15 | 17 << 20 | 20 << 25 | 24 << 30

    /// Decodes from the first 64 bits and the last 32 bits of the 96-bit EPC; `nil` when it is not a valid SGTIN-96.
    /// Inlinable, so the pipeline's module compiles it into its own read path.
    @inlinable @inline(__always)
    public init?(high: UInt64, low: UInt32) {
        guard high >> 56 == UInt64(Self.header) else { return nil }
        let partition = Int((high >> 50) & 0x7)
        guard partition < 7 else { return nil }
        // Partition p: a company prefix of 12 − p digits, an item reference of 1 + p digits in the bits the table gives.
        let irBits = (Self.packedItemReferenceBits >> UInt64(partition &* 5)) & 31
        // After header(8), filter(3) and partition(3): 44 bits of prefix + item reference, then 38 of serial.
        let fields = (high << 14) >> 20 // the 44 bits, right-aligned
        let company = fields >> irBits
        let item = fields & ((1 << irBits) &- 1)
        guard company < GS1.pow10(12 &- partition), item < GS1.pow10(1 &+ partition) else { return nil }
        filter = UInt8(truncatingIfNeeded: (high >> 53) & 0x7)
        companyPrefix = CompanyPrefix(value: company, digits: 12 &- partition)
        itemReference = item
        serial = ((high & 0x3F) << 32) | UInt64(low)
    }

    /// Decodes the hex digits of a binary EPC, as ``EPCBinary/init(hex:)`` reads them (either case,
    /// an optional `0x`), in registers and without allocating; `nil` when the text is not hex or is
    /// not a valid SGTIN-96. Digits after the first 24 must be hex too and are otherwise ignored, as
    /// the general decoder ignores bits after a scheme's end.
    public init?(hex: String) {
        let words = hex.utf8.withContiguousStorageIfAvailable(Self.words(hexDigits:)) ?? Array(hex.utf8).withUnsafeBufferPointer(Self.words(hexDigits:))
        guard let words else { return nil }
        self.init(high: words.high, low: words.low)
    }

    /// The first 64 and the next 32 bits of hex digits; `nil` unless there are at least 24 and all are hex.
    @inline(__always)
    static func words(hexDigits text: UnsafeBufferPointer<UInt8>) -> (high: UInt64, low: UInt32)? {
        var start = 0
        if text.count >= 2, text[0] == UInt8(ascii: "0"), text[1] | 0x20 == UInt8(ascii: "x") { start = 2 }
        guard text.count - start >= 24 else { return nil }
        let base = UnsafeRawPointer(text.baseAddress!) + start
        guard let w0 = HexDigits.value(ofEight: base.loadUnaligned(as: UInt64.self)),
              let w1 = HexDigits.value(ofEight: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
              let w2 = HexDigits.value(ofEight: base.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) else { return nil }
        if text.count > start + 24 {
            // Padding after the 96 bits (rare): checked digit by digit.
            let bad = GS1.hexDigitValues.withUnsafeBufferPointer { values in text[(start + 24)...].reduce(UInt8(0)) { $0 | values[Int($1)] } }
            guard bad & 0xF0 == 0 else { return nil }
        }
        return (UInt64(w0) << 32 | UInt64(w1), w2)
    }

    /// Decodes 12 bytes; throws a typed error naming the problem.
    public init(bytes: [UInt8]) throws(EPCError) {
        guard bytes.count >= 12 else { throw EPCError(.truncated, "SGTIN-96 needs 12 bytes, got \(bytes.count)") }
        guard bytes[0] == Self.header else {
            throw EPCError(.unknownHeader, "header 0x\(String(bytes[0], radix: 16)) is not SGTIN-96 (0x30)")
        }
        var high: UInt64 = 0
        for i in 0..<8 { high = high << 8 | UInt64(bytes[i]) }
        var low: UInt32 = 0
        for i in 8..<12 { low = low << 8 | UInt32(bytes[i]) }
        guard (high >> 50) & 0x7 != 7 else { throw EPCError(.invalidPartition, "partition 7 is invalid") }
        guard let value = SGTIN96(high: high, low: low) else {
            throw EPCError(.fieldOverflow, "company prefix or item reference has more digits than its partition allows")
        }
        self = value
    }

    /// Builds the SGTIN-96 of a GTIN-14 with a company prefix length and a serial.
    public init(gtin14: String, companyPrefixDigits: Int, serial: UInt64, filter: UInt8 = 1) throws(EPCError) {
        guard gtin14.count == 14, GS1.isValidGTIN(gtin14) else {
            throw EPCError(.badCheckDigit, "'\(gtin14)' is not a valid GTIN-14")
        }
        guard (6...12).contains(companyPrefixDigits) else {
            throw EPCError(.invalidPartition, "a company prefix of \(companyPrefixDigits) digits has no SGTIN partition (6–12)")
        }
        let digits = Array(gtin14)
        let indicator = String(digits[0])
        let prefix = String(digits[1...companyPrefixDigits])
        let rest = String(digits[(companyPrefixDigits + 1)..<13])
        try self.init(filter: filter, companyPrefix: CompanyPrefix(value: UInt64(prefix)!, digits: companyPrefixDigits),
                      itemReference: UInt64(indicator + rest)!, serial: serial)
    }

    /// The partition value for this company-prefix length.
    public var partition: Int { GS1.companyPrefixPartitions.firstIndex { $0.digits == companyPrefix.digits } ?? 7 }

    private var itemReferenceDigits: Int { 13 - companyPrefix.digits }

    /// GTIN-14 as a number: indicator, company prefix, item reference, check digit.
    @inlinable @inline(__always)
    public var gtinValue: UInt64 {
        // The indicator digit leads the item reference; the rest follows the company prefix.
        let scale = GS1.pow10(12 &- companyPrefix.digits)
        let indicator: UInt64
        // Constant divisors, so each case is a multiplication rather than a 64-bit division.
        switch companyPrefix.digits {
        case 12: indicator = itemReference
        case 11: indicator = itemReference / 10
        case 10: indicator = itemReference / 100
        case 9: indicator = itemReference / 1_000
        case 8: indicator = itemReference / 10_000
        case 7: indicator = itemReference / 100_000
        case 6: indicator = itemReference / 1_000_000
        default: indicator = itemReference / scale
        }
        let rest = itemReference &- indicator &* scale
        let body = indicator &* 1_000_000_000_000 &+ companyPrefix.value &* scale &+ rest
        return body &* 10 &+ GS1.gtinCheckDigit(ofBody: body)
    }


    /// GTIN-14 as text.
    public var gtin14: String { GS1.padded(gtinValue, 14) }

    /// The pure-identity URI, `urn:epc:id:sgtin:0614141.812345.6789`.
    /// Written in one pass into one allocation: the pipeline builds one per item event.
    public var pureIdentityURI: String { uri(scheme: "urn:epc:id:sgtin:", filter: nil) }

    /// The tag URI, `urn:epc:tag:sgtin-96:3.0614141.812345.6789`.
    public var tagURI: String { uri(scheme: "urn:epc:tag:sgtin-96:", filter: filter) }

    private func uri(scheme: StaticString, filter: UInt8?) -> String {
        // Room for every field at its widest (20 digits each) and the dots between them.
        String(unsafeUninitializedCapacity: scheme.utf8CodeUnitCount + 4 * 21) { buffer in
            var end = GS1.write(scheme, into: buffer, at: 0)
            if let filter {
                end = GS1.writeDecimal(UInt64(filter), width: 1, into: buffer, at: end)
                buffer[end] = UInt8(ascii: "."); end += 1
            }
            end = GS1.writeDecimal(companyPrefix.value, width: companyPrefix.digits, into: buffer, at: end)
            buffer[end] = UInt8(ascii: "."); end += 1
            end = GS1.writeDecimal(itemReference, width: itemReferenceDigits, into: buffer, at: end)
            buffer[end] = UInt8(ascii: "."); end += 1
            return GS1.writeDecimal(serial, width: 1, into: buffer, at: end)
        }
    }

    /// The 12 bytes of the binary encoding.
    public var bytes: [UInt8] {
        let partition = UInt64(self.partition)
        let irBits = UInt64(Self.itemReferencePartitions[Int(partition)].bits)
        let fields = companyPrefix.value << irBits | itemReference
        let high = UInt64(Self.header) << 56 | UInt64(filter) << 53 | partition << 50 | fields << 6 | serial >> 32
        let low = UInt32(truncatingIfNeeded: serial)
        return (0..<8).map { UInt8(truncatingIfNeeded: high >> UInt64(56 - $0 * 8)) } + (0..<4).map { UInt8(truncatingIfNeeded: low >> UInt32(24 - $0 * 8)) }
    }

    /// Uppercase hex of the binary encoding.
    public var hex: String { bytes.map { String(format2: $0) }.joined() }
}

extension String {
    init(format2 byte: UInt8) {
        let digits = Array("0123456789ABCDEF")
        self.init([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
