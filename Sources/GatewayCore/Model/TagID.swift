/// The identifier a reader reported for a tag or card: up to 64 bytes (512 bits) held inline.
///
/// Inline storage keeps `TagRead` trivially copyable, so reads move through the rings and
/// the pipeline without touching the heap. 512 bits covers every Gen2 EPC (at most 496 bits)
/// and every card number a keyboard-wedge reader types.
public struct TagID: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// The largest identifier, in bytes, that a `TagID` holds.
    public static let maxBytes = 64

    /// Number of significant bits (a multiple of 8 for card numbers; the reported bit count for EPCs).
    public private(set) var bitCount: UInt16
    // Bytes packed big-endian into words: byte 0 is the high byte of w0.
    private var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
    private var w4: UInt64 = 0, w5: UInt64 = 0, w6: UInt64 = 0, w7: UInt64 = 0

    /// The empty identifier.
    public init() { bitCount = 0 }

    /// Hashes the words in use only: the rest are zero in every identifier, and the matcher hashes
    /// each read's identifier at least once.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(bitCount)
        hasher.combine(w0)
        guard bitCount > 64 else { return }
        hasher.combine(w1)
        guard bitCount > 128 else { return }
        hasher.combine(w2)
        hasher.combine(w3)
        guard bitCount > 256 else { return }
        hasher.combine(w4)
        hasher.combine(w5)
        hasher.combine(w6)
        hasher.combine(w7)
    }

    /// Creates an identifier from bytes; `nil` when there are more than `maxBytes`.
    /// - Parameter bitCount: the number of significant bits, when it is not a whole number of bytes.
    public init?<C: Collection>(bytes: C, bitCount: Int? = nil) where C.Element == UInt8 {
        let count = bytes.count
        guard count <= Self.maxBytes else { return nil }
        let bits = bitCount ?? count * 8
        guard bits <= count * 8 else { return nil }
        self.bitCount = UInt16(bits)
        var i = 0
        for byte in bytes {
            setByte(i, byte)
            i += 1
        }
    }

    /// Creates an identifier from a hexadecimal string (case-insensitive, even length, no separators).
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard !utf8.isEmpty, utf8.count % 2 == 0, utf8.count / 2 <= Self.maxBytes else { return nil }
        bitCount = UInt16(utf8.count * 4)
        var i = 0
        while i < utf8.count {
            guard let hi = Self.nibble(utf8[i]), let lo = Self.nibble(utf8[i + 1]) else { return nil }
            setByte(i / 2, hi << 4 | lo)
            i += 2
        }
    }

    /// Creates an identifier holding the ASCII text of a card number (as typed by a badge reader).
    public init?(cardNumber: some StringProtocol) {
        self.init(bytes: Array(cardNumber.utf8))
    }

    /// The number of bytes the identifier occupies.
    public var byteCount: Int { (Int(bitCount) + 7) / 8 }

    /// The byte at `index` (0 is the most significant).
    @inline(__always)
    public func byte(_ index: Int) -> UInt8 {
        let word: UInt64
        switch index >> 3 {
        case 0: word = w0
        case 1: word = w1
        case 2: word = w2
        case 3: word = w3
        case 4: word = w4
        case 5: word = w5
        case 6: word = w6
        default: word = w7
        }
        return UInt8(truncatingIfNeeded: word >> (UInt64(7 - (index & 7)) * 8))
    }

    /// The first eight bytes as one big-endian word, zero-padded: enough for headers and prefixes.
    @inline(__always)
    public var leadingWord: UInt64 { w0 }

    /// The `count` bits starting at bit `offset` (0 = most significant bit), as an unsigned integer.
    /// `count` must be at most 64.
    @inline(__always)
    public func bits(at offset: Int, count: Int) -> UInt64 {
        precondition(count <= 64 && offset >= 0)
        var value: UInt64 = 0
        var remaining = count
        var position = offset
        while remaining > 0 {
            let wordIndex = position >> 6
            let bitInWord = position & 63
            let available = 64 - bitInWord
            let take = Swift.min(available, remaining)
            let word = self.word(wordIndex)
            let shifted = (word << UInt64(bitInWord)) >> UInt64(64 - take)
            value = take == 64 ? shifted : (value << UInt64(take)) | shifted
            remaining -= take
            position += take
        }
        return value
    }

    /// The bytes as an array (allocates; not for the hot path).
    public var bytes: [UInt8] { (0..<byteCount).map(byte) }

    /// Uppercase hexadecimal, two digits a byte (allocates; not for the hot path).
    public var hex: String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(byteCount * 2)
        for i in 0..<byteCount {
            let b = byte(i)
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes read as text, for card numbers typed by badge readers.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public var description: String { hex }

    @inline(__always)
    private func word(_ index: Int) -> UInt64 {
        switch index {
        case 0: return w0
        case 1: return w1
        case 2: return w2
        case 3: return w3
        case 4: return w4
        case 5: return w5
        case 6: return w6
        case 7: return w7
        default: return 0
        }
    }

    private mutating func setByte(_ index: Int, _ value: UInt8) {
        let shift = UInt64(7 - (index & 7)) * 8
        let mask = ~(UInt64(0xFF) << shift)
        let v = UInt64(value) << shift
        switch index >> 3 {
        case 0: w0 = w0 & mask | v
        case 1: w1 = w1 & mask | v
        case 2: w2 = w2 & mask | v
        case 3: w3 = w3 & mask | v
        case 4: w4 = w4 & mask | v
        case 5: w5 = w5 & mask | v
        case 6: w6 = w6 & mask | v
        default: w7 = w7 & mask | v
        }
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
