/// Read access to the bits of an EPC, most significant bit first.
///
/// EPC does not know the gateway's tag type; anything that can hand out bit ranges (a byte
/// buffer, a reader's fixed-size tag identifier) conforms, and the decoder and the pattern
/// matcher read through it without copying.
public protocol EPCBitSource {
    /// How many bits the EPC has.
    var epcBitCount: Int { get }
    /// The `count` bits (at most 64) starting at bit `offset`, right-aligned; bits past the end read as zero.
    func epcBits(at offset: Int, count: Int) -> UInt64
}

extension UnsafeRawBufferPointer: EPCBitSource {
    /// Eight bits a byte.
    public var epcBitCount: Int { count * 8 }

    /// The bits of the bytes, big-endian.
    @inline(__always)
    public func epcBits(at offset: Int, count: Int) -> UInt64 {
        Bits.extract(at: offset, count: count, byteCount: self.count) { self[$0] }
    }
}

/// A binary EPC held in memory: the bytes and the number of significant bits.
public struct EPCBinary: EPCBitSource, Hashable, Sendable, CustomStringConvertible {
    /// The bytes, most significant first; bits past `bitCount` are zero.
    public let bytes: [UInt8]
    /// The number of significant bits.
    public let bitCount: Int

    /// Wraps `bytes`; `bitCount` defaults to all of them and is clamped to them.
    public init(bytes: [UInt8], bitCount: Int? = nil) {
        let bits = max(0, min(bitCount ?? bytes.count * 8, bytes.count * 8))
        var kept = Array(bytes.prefix((bits + 7) / 8))
        // Clear the bits past the end, so equal EPCs compare equal whatever the caller left there.
        if bits % 8 != 0, let last = kept.indices.last {
            kept[last] &= UInt8(truncatingIfNeeded: 0xFF << (8 - bits % 8))
        }
        self.bytes = kept
        self.bitCount = bits
    }

    /// Parses hexadecimal digits (either case, an optional `0x`); an odd number of digits is allowed
    /// because each digit is four bits of the EPC.
    public init(hex: String) throws(EPCError) {
        var digits = Substring(hex)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty else { throw EPCError(.truncated, "'\(hex)' holds no hex digits") }
        var bytes = [UInt8]()
        bytes.reserveCapacity((digits.utf8.count + 1) / 2)
        var high = true
        for character in digits.utf8 {
            guard let nibble = Bits.nibble(character) else {
                throw EPCError(.malformed, "'\(hex)' is not hexadecimal")
            }
            if high { bytes.append(nibble << 4) } else { bytes[bytes.count - 1] |= nibble }
            high.toggle()
        }
        self.init(bytes: bytes, bitCount: digits.utf8.count * 4)
    }

    /// Copies the bits of any source.
    public init(copying source: some EPCBitSource) {
        let bits = source.epcBitCount
        var bytes = [UInt8]()
        bytes.reserveCapacity((bits + 7) / 8)
        var offset = 0
        while offset < bits {
            bytes.append(UInt8(truncatingIfNeeded: source.epcBits(at: offset, count: 8)))
            offset += 8
        }
        self.init(bytes: bytes, bitCount: bits)
    }

    /// The number of significant bits.
    public var epcBitCount: Int { bitCount }

    /// The bits of the bytes, big-endian.
    public func epcBits(at offset: Int, count: Int) -> UInt64 {
        Bits.extract(at: offset, count: count, byteCount: bytes.count) { bytes[$0] }
    }

    /// Uppercase hex, one digit per four bits (rounded up).
    public var hex: String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        let nibbles = (bitCount + 3) / 4
        out.reserveCapacity(nibbles)
        for index in 0..<nibbles {
            let byte = bytes[index / 2]
            out.append(digits[Int(index % 2 == 0 ? byte >> 4 : byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The same EPC zero-padded to a whole number of 16-bit words, as it sits in a tag's EPC memory bank.
    public var paddedToWords: EPCBinary {
        let bits = (bitCount + 15) / 16 * 16
        return EPCBinary(bytes: bytes + [UInt8](repeating: 0, count: bits / 8 - bytes.count), bitCount: bits)
    }

    /// The hex digits.
    public var description: String { hex }
}

/// Bit helpers shared by the readers and writers.
enum Bits {
    /// Extracts `count` bits at `offset` from a big-endian byte sequence read through `byte`.
    @inline(__always)
    static func extract(at offset: Int, count: Int, byteCount: Int, _ byte: (Int) -> UInt8) -> UInt64 {
        var value: UInt64 = 0
        var remaining = count
        var position = offset
        while remaining > 0 {
            let index = position >> 3
            let bitInByte = position & 7
            let available = 8 - bitInByte
            let take = Swift.min(available, remaining)
            let current = index < byteCount ? UInt64(byte(index)) : 0
            let chunk = (current >> UInt64(available - take)) & ((1 << UInt64(take)) - 1)
            value = (value << UInt64(take)) | chunk
            remaining -= take
            position += take
        }
        return value
    }

    /// The value of one hex digit.
    static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Hexadecimal digits eight at a time, in one register (SWAR): no branch or table load per digit.
/// The SGTIN-96 hex fast path and the matcher's credential check use it.
public enum HexDigits {
    /// The value of eight ASCII hex digits (either case) packed in `bytes` with the first digit in the
    /// lowest byte, as they lie in memory (`loadUnaligned(as: UInt64.self)` of the text); `nil` when
    /// any byte is not a hex digit.
    @inlinable @inline(__always)
    public static func value(ofEight bytes: UInt64) -> UInt32? {
        // Each constant repeats one byte in all eight lanes. (In Swift `&` binds like `&*`, so every lane mask is named.)
        let x = UInt64(littleEndian: bytes)
        let highs: UInt64 = 0x8080_8080_8080_8080
        let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let nibbleMask: UInt64 = 0x0F0F_0F0F_0F0F_0F0F
        // Every lane below 0x80 keeps the additions below from carrying into the next lane.
        guard x & highs == 0 else { return nil }
        // A digit: x ^ '0' is 0...9, so adding 0x76 leaves the lane's high bit clear.
        let digit = ~((x ^ 0x3030_3030_3030_3030) &+ 0x7676_7676_7676_7676) & highs
        // A letter: (x | 0x20) + 0x1F is 0x80...0x85 for a...f (and A...F): high bit set, and its low seven bits below 6.
        let shifted = (x | 0x2020_2020_2020_2020) &+ 0x1F1F_1F1F_1F1F_1F1F
        let letter = shifted & ~((shifted & lows) &+ 0x7A7A_7A7A_7A7A_7A7A) & highs
        guard digit | letter == highs else { return nil }
        // The value: the low nibble, plus 9 for a letter (A = 0x41 → 1 + 9).
        let nibbles = (x & nibbleMask) &+ (letter >> 7) &* 9
        // Pairs of nibbles into bytes (first digit high), then the four bytes in order.
        let pairs = ((nibbles & 0x00FF_00FF_00FF_00FF) << 4) | ((nibbles >> 8) & 0x00FF_00FF_00FF_00FF)
        let word = (pairs & 0xFF) << 24 | (pairs >> 16 & 0xFF) << 16 | (pairs >> 32 & 0xFF) << 8 | (pairs >> 48 & 0xFF)
        return UInt32(truncatingIfNeeded: word)
    }

    /// The value of one hex digit (either case); `nil` for any other byte.
    @inlinable @inline(__always)
    public static func value(of byte: UInt8) -> UInt8? {
        let digit = byte &- UInt8(ascii: "0")
        if digit < 10 { return digit }
        let letter = (byte | 0x20) &- UInt8(ascii: "a")
        return letter < 6 ? letter &+ 10 : nil
    }
}

/// Appends bit fields, most significant first.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private(set) var bitCount = 0

    /// Appends the low `count` bits of `value` (at most 64).
    mutating func append(_ value: UInt64, bits count: Int) {
        var remaining = count
        while remaining > 0 {
            let used = bitCount & 7
            if used == 0 { bytes.append(0) }
            let free = 8 - used
            let take = Swift.min(free, remaining)
            let chunk = (value >> UInt64(remaining - take)) & ((1 << UInt64(take)) - 1)
            bytes[bytes.count - 1] |= UInt8(truncatingIfNeeded: chunk << UInt64(free - take))
            remaining -= take
            bitCount += take
        }
    }

    /// Appends `count` zero bits.
    mutating func appendZeros(_ count: Int) {
        var remaining = count
        while remaining > 0 {
            let take = Swift.min(64, remaining)
            append(0, bits: take)
            remaining -= take
        }
    }

    /// What was written.
    var binary: EPCBinary { EPCBinary(bytes: bytes, bitCount: bitCount) }
}

/// Reads bit fields in order from a source, failing cleanly when it runs out.
struct BitReader<Source: EPCBitSource> {
    let source: Source
    /// The next bit to read.
    private(set) var position: Int
    /// What is being decoded, for error messages.
    let context: String

    init(_ source: Source, from position: Int = 0, context: String) {
        self.source = source
        self.position = position
        self.context = context
    }

    /// The next `count` bits (at most 64).
    mutating func read(_ count: Int) throws(EPCError) -> UInt64 {
        guard position + count <= source.epcBitCount else {
            throw EPCError(.truncated, "\(context) needs more than the \(source.epcBitCount) bits given")
        }
        defer { position += count }
        return source.epcBits(at: position, count: count)
    }
}
