import EPC
import GatewayCore

/// Strings packed end to end in one byte buffer, found by position: what the directory keeps its text in.
///
/// A `[String]` costs 16 bytes a string plus, past 15 bytes of UTF-8, a heap block of its own
/// (about 48 bytes for a 32-digit token). Here a string costs its bytes and a 4-byte offset.
struct TextArena: Sendable {
    private(set) var bytes: [UInt8] = []
    /// String `i` is `bytes[offsets[i] ..< offsets[i + 1]]`; the leading 0 saves a branch per access.
    private(set) var offsets: [UInt32] = [0]

    init() {}

    /// An arena with room for `strings` strings of `bytes` bytes in all, so it is allocated once.
    init(reservingBytes bytes: Int, strings: Int) {
        precondition(bytes < Int(UInt32.max), "a directory arena holds at most 4 GiB of text")
        self.bytes.reserveCapacity(bytes)
        offsets.reserveCapacity(strings + 1)
    }

    var count: Int { offsets.count - 1 }

    /// Bytes allocated, for the directory's footprint.
    var allocatedBytes: Int { bytes.capacity + offsets.capacity * MemoryLayout<UInt32>.stride }

    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        precondition(bytes.count < Int(UInt32.max), "a directory arena holds at most 4 GiB of text")
        offsets.append(UInt32(bytes.count))
    }

    /// String `i` (a new `String`: it allocates when longer than 15 bytes).
    func string(_ i: Int) -> String {
        withBytes(i) { String(decoding: $0, as: UTF8.self) }
    }

    @inline(__always)
    func withBytes<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let start = Int(offsets[i])
        let end = Int(offsets[i + 1])
        return bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }

    /// Whether string `i` equals `text` as Swift compares strings (canonical equivalence), as the
    /// `[String: …]` dictionaries this replaces did. Equal bytes, or two ASCII strings, settle it
    /// without building a `String`.
    func equals(_ i: Int, _ text: String) -> Bool {
        let verdict: Bool? = withBytes(i) { stored in
            text.utf8.withContiguousStorageIfAvailable { query -> Bool? in
                if query.elementsEqual(stored) { return true }
                return isASCII(query) && isASCII(stored) ? false : nil
            } ?? nil
        }
        return verdict ?? (string(i) == text)
    }
}

@inline(__always)
private func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    bytes.allSatisfy { $0 < 0x80 }
}

/// An open-addressing hash index of 32-bit slots that point into the directory's own arrays.
///
/// The keys are not stored: a slot holds an entry number (plus one, so 0 is empty) and, in the bits
/// the entry number does not need, a fingerprint of the key's hash, so most probes past other keys
/// are settled in the slot array and only a likely match is checked against the arrays. Capacity is
/// a power of two at least 10/7 of the entries (load at most 0.7, linear probing). Entries are never
/// removed: a directory is built once and replaced whole.
struct SlotTable: Sendable {
    private var slots: [UInt32]
    private let shift: UInt64
    private let entryMask: UInt32
    private let fingerprintMask: UInt32

    /// A table for at most `count` entries, numbered below `entries` (`count` when `nil`).
    init(count: Int, entriesBelow entries: Int? = nil) {
        let entries = entries ?? count
        precondition(count <= entries && entries < Int(UInt32.max), "a directory index holds fewer than 2^32 entries")
        var capacity = 8
        while capacity * 7 < count * 10 { capacity <<= 1 }
        slots = [UInt32](repeating: 0, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        let entryBits = UInt32(64 - UInt64(entries).leadingZeroBitCount) // enough for 1 ... entries
        entryMask = entryBits >= 32 ? .max : (1 << entryBits) - 1
        fingerprintMask = ~entryMask
    }

    /// Bytes allocated, for the directory's footprint.
    var allocatedBytes: Int { slots.capacity * MemoryLayout<UInt32>.stride }

    /// The entry whose key `matches` accepts, probing from `hash`; `matches` is asked only about
    /// entries whose fingerprint agrees.
    @inline(__always)
    func find(hash: UInt64, _ matches: (Int) -> Bool) -> Int? {
        let fingerprint = UInt32(truncatingIfNeeded: hash) & fingerprintMask
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash >> shift)
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let slot = slots[i]
                if slot == 0 { return nil }
                if slot & fingerprintMask == fingerprint {
                    let entry = Int(slot & entryMask) - 1
                    if matches(entry) { return entry }
                }
                i = (i + 1) & mask
            }
        }
    }

    /// Stores `entry` under its key: over the entry of an equal key (`matches`), as a dictionary's
    /// assignment replaces the value, or in the first empty slot.
    mutating func upsert(hash: UInt64, entry: Int, _ matches: (Int) -> Bool) {
        let fingerprint = UInt32(truncatingIfNeeded: hash) & fingerprintMask
        let value = fingerprint | UInt32(entry + 1)
        precondition(UInt32(entry + 1) & fingerprintMask == 0, "a directory index was sized for fewer entries")
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash >> shift)
        while true {
            let slot = slots[i]
            if slot == 0 || (slot & fingerprintMask == fingerprint && matches(Int(slot & entryMask) - 1)) {
                slots[i] = value
                return
            }
            i = (i + 1) & mask
        }
    }
}

/// An open-addressing table of 96-bit keys (EPC-96 credentials, the usual loyalty fob) that keeps
/// each key in its slot next to its customer, so a hit costs the slot and nothing it points to: the
/// credential check runs on every customer tag new to a zone.
///
/// A byte per slot beside the slots (0 when empty, else the top bit and seven bits of the key's hash)
/// settles most probes without touching the 16-byte slots: that is what every item tag new to a zone
/// costs, since it is looked up as a credential first and is none. Capacity is at least 10/7 of the
/// entries (load at most 0.7, linear probing) and not rounded to a power of two, which at 16 bytes a
/// slot would waste up to 16 MiB for a million fobs.
struct Key96Table: Sendable {
    struct Slot: Sendable {
        var high: UInt64 = 0
        var low: UInt32 = 0
        var value: UInt32 = 0
    }

    private var control: [UInt8]
    private var slots: [Slot]

    /// A table for at most `count` keys.
    init(count: Int) {
        precondition(count < Int(UInt32.max), "a directory index holds fewer than 2^32 entries")
        let capacity = max(8, (count * 10 + 6) / 7)
        control = [UInt8](repeating: 0, count: capacity)
        slots = [Slot](repeating: Slot(), count: capacity)
    }

    /// Bytes allocated, for the directory's footprint.
    var allocatedBytes: Int { control.capacity + slots.capacity * MemoryLayout<Slot>.stride }

    /// The slot where probing for `hash` starts: the hash's top 32 bits scaled to the capacity.
    @inline(__always)
    private func start(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: ((hash >> 32) &* UInt64(slots.count)) >> 32) }

    @inline(__always)
    private static func tag(_ hash: UInt64) -> UInt8 { 0x80 | UInt8(truncatingIfNeeded: hash & 0x7F) }

    /// The value stored under the key, if any.
    @inline(__always)
    func find(hash: UInt64, high: UInt64, low: UInt32) -> UInt32? {
        let tag = Self.tag(hash)
        return control.withUnsafeBufferPointer { control in
            slots.withUnsafeBufferPointer { slots in
                var i = start(hash)
                while true {
                    let c = control[i]
                    if c == 0 { return nil }
                    if c == tag, slots[i].high == high, slots[i].low == low { return slots[i].value }
                    i += 1
                    if i == slots.count { i = 0 }
                }
            }
        }
    }

    /// Stores `value` under the key, over an equal key's value as a dictionary's assignment does.
    mutating func upsert(hash: UInt64, high: UInt64, low: UInt32, value: UInt32) {
        let tag = Self.tag(hash)
        var i = start(hash)
        while true {
            if control[i] == 0 || (control[i] == tag && slots[i].high == high && slots[i].low == low) {
                control[i] = tag
                slots[i] = Slot(high: high, low: low, value: value)
                return
            }
            i += 1
            if i == slots.count { i = 0 }
        }
    }
}

/// The hash functions of the directory's indexes.
enum DirectoryHash {
    /// MurmurHash3's 64-bit finaliser: every input bit reaches every output bit.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x &*= 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }

    /// A tag's bit count and the words that hold its bytes. Equal tags have equal words (a `TagID`
    /// keeps the bytes past its length zero), so equal tags hash alike.
    @inline(__always)
    static func tag(_ tag: TagID, seed: UInt64) -> UInt64 {
        var h = start(bitCount: tag.bitCount, seed: seed, first: tag.leadingWord)
        let words = (tag.byteCount + 7) >> 3
        var k = 1
        while k < words {
            h = step(h, tag.bits(at: k << 6, count: 64))
            k += 1
        }
        return mix(h)
    }

    /// ``tag(_:seed:)`` of a tag of at most 16 bytes whose words are at hand; the same value.
    @inline(__always)
    static func tag(_ short: ShortTag, seed: UInt64) -> UInt64 {
        let h = start(bitCount: short.bitCount, seed: seed, first: short.w0)
        return mix(short.byteCount > 8 ? step(h, short.w1) : h)
    }

    @inline(__always)
    private static func start(bitCount: UInt16, seed: UInt64, first: UInt64) -> UInt64 {
        step(seed ^ (UInt64(bitCount) &* 0x9E37_79B9_7F4A_7C15), first)
    }

    @inline(__always)
    private static func step(_ h: UInt64, _ word: UInt64) -> UInt64 { (h ^ word) &* 0xFF51_AFD7_ED55_8CCD }

    @inline(__always)
    static func integer(_ value: UInt64, seed: UInt64) -> UInt64 { mix(seed ^ value) }

    /// Swift's own string hash, so strings equal as Swift compares them hash alike.
    static func text(_ text: String, seed: UInt64) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(seed)
        hasher.combine(text)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }
}

/// A tag of at most 16 bytes (every EPC up to 128 bits, most card numbers) as its two words, read
/// once per lookup for the hash and the check alike.
struct ShortTag {
    var bitCount: UInt16
    var w0: UInt64
    /// 0 when the tag has 8 bytes or fewer (a `TagID` keeps the bytes past its length zero).
    var w1: UInt64

    var byteCount: Int { (Int(bitCount) + 7) / 8 }

    init(bitCount: UInt16, w0: UInt64, w1: UInt64) {
        self.bitCount = bitCount
        self.w0 = w0
        self.w1 = w1
    }

    /// `nil` for a tag longer than 16 bytes.
    @inline(__always)
    init?(_ tag: TagID) {
        let bytes = tag.byteCount
        guard bytes <= 16 else { return nil }
        bitCount = tag.bitCount
        w0 = tag.leadingWord
        w1 = bytes > 8 ? tag.bits(at: 64, count: 64) : 0
    }
}

/// Whether a tag is a credential's text read one way or the other.
enum CredentialReading {
    /// ``isHex(_:_:)`` for a tag of at most 16 bytes: eight digits at a time into two words.
    @inline(__always)
    static func isHex(_ tag: ShortTag, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = text.count
        guard Int(tag.bitCount) == n * 4 else { return false }
        let base = UnsafeRawPointer(text.baseAddress!)
        var words: (UInt64, UInt64) = (0, 0)
        var i = 0
        while i + 8 <= n {
            // Indexed text is hex (`TagID(hex:)` accepted it), so the value is there; `nil` cannot match.
            guard let value = HexDigits.value(ofEight: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) else { return false }
            let shift = UInt64((8 - i % 16) * 4)
            if i < 16 { words.0 |= UInt64(value) << shift } else { words.1 |= UInt64(value) << shift }
            i += 8
        }
        while i < n {
            let value = UInt64(HexDigits.value(of: text[i]) ?? 0)
            let shift = UInt64((15 - i % 16) * 4)
            if i < 16 { words.0 |= value << shift } else { words.1 |= value << shift }
            i += 1
        }
        return words.0 == tag.w0 && words.1 == tag.w1
    }

    /// ``isText(_:_:)`` for a tag of at most 16 bytes.
    @inline(__always)
    static func isText(_ tag: ShortTag, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = text.count
        guard Int(tag.bitCount) == n * 8 else { return false }
        let base = UnsafeRawPointer(text.baseAddress!)
        var words: (UInt64, UInt64) = (0, 0)
        var i = 0
        while i + 8 <= n {
            let value = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if i == 0 { words.0 = value } else { words.1 = value }
            i += 8
        }
        while i < n {
            let shift = UInt64(56 - (i % 8) * 8)
            if i < 8 { words.0 |= UInt64(text[i]) << shift } else { words.1 |= UInt64(text[i]) << shift }
            i += 1
        }
        return words.0 == tag.w0 && words.1 == tag.w1
    }

    /// The text as hexadecimal digits (an EPC written in hex): `TagID(hex:)`.
    static func isHex(_ tag: TagID, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard Int(tag.bitCount) == text.count * 4 else { return false }
        return sameWords(tag, bytes: text.count / 2) { i in nibble(text[2 * i]) << 4 | nibble(text[2 * i + 1]) }
    }

    /// The text's own bytes (a card number as a badge reader types it): `TagID(cardNumber:)`.
    static func isText(_ tag: TagID, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard Int(tag.bitCount) == text.count * 8 else { return false }
        return sameWords(tag, bytes: text.count) { text[$0] }
    }

    /// Compares the tag's words with the `count` bytes `byte` gives, eight at a time.
    @inline(__always)
    private static func sameWords(_ tag: TagID, bytes count: Int, _ byte: (Int) -> UInt8) -> Bool {
        var offset = 0
        while offset < count {
            var expected: UInt64 = 0
            for j in 0..<8 {
                expected = expected << 8 | (offset + j < count ? UInt64(byte(offset + j)) : 0)
            }
            if expected != tag.bits(at: offset << 3, count: 64) { return false }
            offset += 8
        }
        return true
    }

    /// A hex digit's value; the text was checked by `TagID(hex:)` when it was indexed.
    @inline(__always)
    private static func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c &- UInt8(ascii: "a") &+ 10
        default: c &- UInt8(ascii: "A") &+ 10
        }
    }
}
