/// A bounded read position inside a message's bytes.
///
/// Sub-cursors share the message's storage and only narrow the bounds, so walking nested
/// parameters copies nothing until a field is materialised.
struct ByteCursor {
    private let bytes: [UInt8]
    private(set) var position: Int
    let end: Int
    /// Names what is being read, for error messages (`TagReportData`, `ROSpec`, …).
    let context: String

    init(_ bytes: [UInt8], from start: Int = 0, context: String) {
        self.bytes = bytes
        self.position = min(start, bytes.count)
        self.end = bytes.count
        self.context = context
    }

    private init(bytes: [UInt8], position: Int, end: Int, context: String) {
        self.bytes = bytes
        self.position = position
        self.end = end
        self.context = context
    }

    var remaining: Int { end - position }
    var isAtEnd: Bool { position >= end }

    /// The next byte without consuming it.
    func peek() throws(LLRPError) -> UInt8 {
        guard position < end else { throw truncated(needing: 1) }
        return bytes[position]
    }

    mutating func skip(_ count: Int) throws(LLRPError) {
        guard count <= remaining else { throw truncated(needing: count) }
        position += count
    }

    mutating func skipToEnd() { position = end }

    mutating func u8() throws(LLRPError) -> UInt8 {
        guard position < end else { throw truncated(needing: 1) }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() throws(LLRPError) -> UInt16 {
        guard remaining >= 2 else { throw truncated(needing: 2) }
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    mutating func u32() throws(LLRPError) -> UInt32 {
        guard remaining >= 4 else { throw truncated(needing: 4) }
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(bytes[position + i]) }
        position += 4
        return value
    }

    mutating func u64() throws(LLRPError) -> UInt64 {
        guard remaining >= 8 else { throw truncated(needing: 8) }
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(bytes[position + i]) }
        position += 8
        return value
    }

    mutating func i8() throws(LLRPError) -> Int8 { Int8(bitPattern: try u8()) }
    mutating func i16() throws(LLRPError) -> Int16 { Int16(bitPattern: try u16()) }

    mutating func bytes(_ count: Int) throws(LLRPError) -> [UInt8] {
        guard count <= remaining else { throw truncated(needing: count) }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func rest() -> [UInt8] {
        defer { position = end }
        return Array(bytes[position..<end])
    }

    /// `u8v`: a u16 count, then that many bytes.
    mutating func u8v() throws(LLRPError) -> [UInt8] {
        let count = Int(try u16())
        return try bytes(count)
    }

    /// `u16v`: a u16 count, then that many u16 values.
    mutating func u16v() throws(LLRPError) -> [UInt16] {
        let count = Int(try u16())
        guard count * 2 <= remaining else { throw truncated(needing: count * 2) }
        var values: [UInt16] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try u16()) }
        return values
    }

    /// `utf8v`: a u16 byte count, then UTF-8 text; invalid sequences become U+FFFD rather than failing.
    mutating func utf8v() throws(LLRPError) -> String {
        String(decoding: try u8v(), as: UTF8.self)
    }

    /// A cursor over the next `count` bytes, which this cursor then skips.
    mutating func take(_ count: Int, context: String) throws(LLRPError) -> ByteCursor {
        guard count <= remaining else { throw truncated(needing: count) }
        defer { position += count }
        return ByteCursor(bytes: bytes, position: position, end: position + count, context: context)
    }

    func truncated(needing count: Int) -> LLRPError {
        LLRPError(.truncated, "\(context): needs \(count) more byte\(count == 1 ? "" : "s") at offset \(position), \(remaining) left")
    }
}

/// Big-endian output with back-patched TLV lengths.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    var count: Int { bytes.count }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }
    mutating func u32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }
    mutating func u64(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }
    mutating func i8(_ v: Int8) { u8(UInt8(bitPattern: v)) }
    mutating func i16(_ v: Int16) { u16(UInt16(bitPattern: v)) }
    mutating func append(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    /// `u8v`; the caller keeps `data` within 65535 bytes (the encoders clamp).
    mutating func u8v(_ data: [UInt8]) {
        let clamped = data.prefix(Int(UInt16.max))
        u16(UInt16(clamped.count))
        bytes.append(contentsOf: clamped)
    }

    mutating func u16v(_ values: [UInt16]) {
        let clamped = values.prefix(Int(UInt16.max))
        u16(UInt16(clamped.count))
        for v in clamped { u16(v) }
    }

    mutating func utf8v(_ text: String) { u8v(Array(text.utf8)) }

    /// A TLV parameter: the header, then whatever `body` writes, with the length patched in afterwards.
    mutating func tlv(_ type: LLRPParameterType, _ body: (inout ByteWriter) -> Void) {
        let start = bytes.count
        u16(type.rawValue & 0x3FF)
        u16(0)
        body(&self)
        patchLength16(at: start + 2, value: bytes.count - start)
    }

    /// A TV parameter's one-byte header: the high bit, then the 7-bit type.
    mutating func tv(_ type: LLRPParameterType) { u8(0x80 | UInt8(truncatingIfNeeded: type.rawValue)) }

    mutating func patchLength16(at offset: Int, value: Int) {
        let v = UInt16(clamping: value)
        bytes[offset] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: v)
    }

    mutating func patchLength32(at offset: Int, value: Int) {
        let v = UInt32(clamping: value)
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> UInt32(24 - 8 * i)) }
    }
}
