#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GatewayCore

/// The JSON body of a `presence.enter` or `presence.exit`, written without `Codable`.
///
/// They are nearly every event on the bus, and `JSONEncoder` spends ~7 µs and 18 allocations on
/// each (docs/performance.md). The bytes decode to the same event as `JSONEncoder`'s would: the
/// same keys, an optional key left out when `nil`, the same string escapes; a test holds the two to
/// that on random presences.
enum PresenceJSON {
    /// The body of `event`, whose payload is `presence`; throws on a value JSON cannot carry (a NaN RSSI).
    static func body(of event: GatewayEvent, _ presence: Presence) throws(BusError) -> [UInt8] {
        if let rssi = presence.rssi, !rssi.isFinite {
            throw BusError(.codec, "cannot encode \(event.type.topic) seq \(event.seq): .rssi: \(rssi) is not a JSON number")
        }
        // Written straight into the array's storage, sized once: the strings as they will be written, and
        // for the rest the most it can take (every key, every number at its longest: 348 bytes).
        var capacity = 352 + JSONWriter.length(event.gateway) + JSONWriter.length(event.store)
            + JSONWriter.length(presence.zone) + JSONWriter.length(presence.reader)
        if let token = presence.token { capacity += JSONWriter.length(token) }
        if let visit = presence.visit { capacity += JSONWriter.length(visit) }
        if let epc = presence.epc { capacity += JSONWriter.length(epc) }
        if let gtin = presence.gtin { capacity += JSONWriter.length(gtin) }
        if let product = presence.product { capacity += JSONWriter.length(product) }
        return JSONWriter.bytes(capacity: capacity) { out in
            out.key("v"); out.integer(GatewayEvent.schemaVersion)
            out.key("seq"); out.integer(event.seq)
            out.key("gateway"); out.string(event.gateway)
            out.key("store"); out.string(event.store)
            out.key("type"); out.string(event.type.rawValue)
            out.key("ts"); out.timestamp(event.ts)
            out.key("zone"); out.string(presence.zone)
            out.key("reader"); out.string(presence.reader)
            out.key("antenna"); out.integer(presence.antenna)
            out.key("subject"); out.string(presence.subject.rawValue)
            if let token = presence.token { out.key("token"); out.string(token) }
            if let visit = presence.visit { out.key("visit"); out.string(visit) }
            if let epc = presence.epc { out.key("epc"); out.string(epc) }
            if let gtin = presence.gtin { out.key("gtin"); out.string(gtin) }
            if let product = presence.product { out.key("product"); out.string(product) }
            if let rssi = presence.rssi { out.key("rssi"); out.number(rssi) }
            if let dwellMs = presence.dwellMs { out.key("dwellMs"); out.integer(dwellMs) }
            if let visitEnd = presence.visitEnd { out.key("visitEnd"); out.bool(visitEnd) }
            if let sold = presence.sold { out.key("sold"); out.bool(sold) }
            out.byte(UInt8(ascii: "}"))
        }
    }
}

/// Writes one flat JSON object's members into memory sized beforehand.
///
/// Cheaper than appending to an `Array`, which checks its uniqueness and capacity on every byte and
/// may reallocate: the caller sizes the memory for the most it will write, and a write past it traps.
struct JSONWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    /// Bytes written so far.
    private(set) var count = 0

    private init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// The bytes `write` produces, in an array of at most `capacity` bytes.
    static func bytes(capacity: Int, _ write: (inout JSONWriter) -> Void) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var writer = JSONWriter(base: buffer.baseAddress!, capacity: capacity)
            write(&writer)
            initialized = writer.count
        }
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        precondition(count < capacity, "JSONWriter: sized too small")
        base[count] = value
        count &+= 1
    }

    @inline(__always)
    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        precondition(bytes.count <= capacity - count, "JSONWriter: sized too small")
        (base + count).update(from: source, count: bytes.count)
        count &+= bytes.count
    }

    /// Opens the object on the first key, separates the later ones.
    mutating func key(_ name: StaticString) {
        byte(count == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
        byte(UInt8(ascii: "\""))
        name.withUTF8Buffer { append($0) }
        byte(UInt8(ascii: "\""))
        byte(UInt8(ascii: ":"))
    }

    /// A JSON string: quotes, backslashes and control characters escaped, as `JSONEncoder` does
    /// (slashes are not, as the codec's `withoutEscapingSlashes`).
    mutating func string(_ text: String) {
        byte(UInt8(ascii: "\""))
        // Nearly every string has nothing to escape: copied whole.
        let copied = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8 where Self.needsEscape(byte) { return false }
            append(utf8)
            return true
        }
        if copied == true {
            byte(UInt8(ascii: "\""))
            return
        }
        for next in text.utf8 {
            switch next {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte(UInt8(ascii: "\\")); byte(next)
            case 0x0A: byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "n"))
            case 0x0D: byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "r"))
            case 0x09: byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "t"))
            case 0x08: byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "b"))
            case 0x0C: byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "f"))
            case 0..<0x20:
                byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "u")); byte(UInt8(ascii: "0")); byte(UInt8(ascii: "0"))
                byte(Self.hex[Int(next >> 4)])
                byte(Self.hex[Int(next & 0x0F)])
            default: byte(next)
            }
        }
        byte(UInt8(ascii: "\""))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Whether JSON must escape `byte`: a quote, a backslash or a control character.
    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// The bytes ``string(_:)`` writes for `text`: its UTF-8, an escape's extra bytes and the quotes.
    static func length(_ text: String) -> Int {
        var length = text.utf8.count + 2
        for byte in text.utf8 where needsEscape(byte) {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09, 0x08, 0x0C: length += 1
            default: length += 5
            }
        }
        return length
    }

    /// A decimal integer.
    mutating func integer<T: BinaryInteger>(_ value: T) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        var magnitude = UInt64(value.magnitude)
        // Digits land from the right of their place, so nothing is reversed.
        var length = 1
        var scale: UInt64 = 10
        while length < 20, magnitude >= scale {
            length += 1
            scale = scale &* 10
        }
        precondition(length <= capacity - count, "JSONWriter: sized too small")
        var position = count + length
        count = position
        repeat {
            position -= 1
            base[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
    }

    /// A finite double, in Swift's shortest round-tripping spelling (`-61.5`, `-61.0`, `1e-07`): all JSON numbers.
    mutating func number(_ value: Double) {
        // An RSSI is a whole number of hundredths of a dBm: written from that integer, without building
        // a `String`. The text is the same: a multiple of 0.01 this small has no shorter decimal that
        // rounds to it, and Swift writes whole numbers with `.0`.
        let hundredths = (value * 100).rounded()
        if abs(hundredths) < 1e15, hundredths / 100 == value, value != 0 || value.sign == .plus {
            let whole = Int64(hundredths)
            if whole < 0 { byte(UInt8(ascii: "-")) }
            integer(whole.magnitude / 100)
            byte(UInt8(ascii: "."))
            let fraction = whole.magnitude % 100
            byte(UInt8(ascii: "0") &+ UInt8(fraction / 10))
            if fraction % 10 != 0 { byte(UInt8(ascii: "0") &+ UInt8(fraction % 10)) }
            return
        }
        var text = value.description
        text.withUTF8 { append($0) }
    }

    /// `true` or `false`.
    mutating func bool(_ value: Bool) {
        let word: StaticString = value ? "true" : "false"
        word.withUTF8Buffer { append($0) }
    }

    /// RFC 3339 UTC with milliseconds, as `Timestamp.rfc3339` spells it, digit by digit.
    mutating func timestamp(_ ts: Timestamp) {
        var seconds = time_t(ts.microseconds / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        byte(UInt8(ascii: "\""))
        digits(Int(parts.tm_year) + 1900, 4); byte(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2); byte(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2); byte(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2); byte(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2); byte(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2); byte(UInt8(ascii: "."))
        digits(Int((ts.microseconds / 1_000) % 1_000), 3)
        byte(UInt8(ascii: "Z"))
        byte(UInt8(ascii: "\""))
    }

    /// `value` in exactly `width` digits, zero-padded (a year past 9999 is written in full).
    private mutating func digits(_ value: Int, _ width: Int) {
        guard value < 10_000 || width > 4 else {
            integer(value)
            return
        }
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            byte(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}

extension PresenceJSON {
    /// Reads a `presence.enter` or `presence.exit` body as the gateway writes it; `nil` for anything
    /// else (another event type, an escape in a string, a `null`, a nested value, a malformed body),
    /// which then goes through `JSONDecoder` for its result or its precise error. So this never
    /// accepts what `JSONDecoder` refuses, and a test holds the two to the same events.
    static func event(from body: [UInt8]) -> GatewayEvent? {
        body.withUnsafeBufferPointer { bytes in
            var reader = FlatJSONReader(bytes)
            return reader.presenceEvent()
        }
    }
}

/// A reader for one flat JSON object of strings, numbers and booleans, strict to RFC 8259.
struct FlatJSONReader {
    private let b: UnsafeBufferPointer<UInt8>
    private var i = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

    /// The keys of a presence event, each a bit in the mask of keys seen.
    private enum Key: UInt32 {
        case v, seq, gateway, store, type, ts, zone, reader, antenna, subject, token, visit, epc, gtin, product, rssi, dwellMs, visitEnd, sold
    }

    mutating func presenceEvent() -> GatewayEvent? {
        var version: Int?, seq: UInt64?, gateway: String?, store: String?, type: EventType?, ts: Timestamp?
        var zone: String?, reader: String?, antenna: Int?, subject: PresenceSubject?
        var token: String?, visit: String?, epc: String?, gtin: String?, product: String?
        var rssi: Double?, dwellMs: Int64?, visitEnd: Bool?, sold: Bool?
        var seen: UInt32 = 0
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        while true {
            skipSpace()
            guard let name = rawString() else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            if let key = key(name) {
                let bit: UInt32 = 1 << key.rawValue
                guard seen & bit == 0 else { return nil }
                seen |= bit
                switch key {
                case .v: guard let value = integer(Int.self) else { return nil }; version = value
                case .seq: guard let value = integer(UInt64.self) else { return nil }; seq = value
                case .gateway: guard let value = string() else { return nil }; gateway = value
                case .store: guard let value = string() else { return nil }; store = value
                case .type:
                    // Only presences are read here: anything else goes to JSONDecoder.
                    guard let range = rawString() else { return nil }
                    if bytes(range, equal: "presence.enter") {
                        type = .presenceEnter
                    } else if bytes(range, equal: "presence.exit") {
                        type = .presenceExit
                    } else {
                        return nil
                    }
                case .ts:
                    guard let range = rawString(), let value = Timestamp(rfc3339UTF8: UnsafeBufferPointer(rebasing: b[range])) else { return nil }
                    ts = value
                case .zone: guard let value = string() else { return nil }; zone = value
                case .reader: guard let value = string() else { return nil }; reader = value
                case .antenna: guard let value = integer(Int.self) else { return nil }; antenna = value
                case .subject:
                    guard let range = rawString(), let parsed = presenceSubject(range) else { return nil }
                    subject = parsed
                case .token: guard let value = string() else { return nil }; token = value
                case .visit: guard let value = string() else { return nil }; visit = value
                case .epc: guard let value = string() else { return nil }; epc = value
                case .gtin: guard let value = string() else { return nil }; gtin = value
                case .product: guard let value = string() else { return nil }; product = value
                case .rssi: guard let value = double() else { return nil }; rssi = value
                case .dwellMs: guard let value = integer(Int64.self) else { return nil }; dwellMs = value
                case .visitEnd: guard let value = bool() else { return nil }; visitEnd = value
                case .sold: guard let value = bool() else { return nil }; sold = value
                }
            } else {
                // An unknown key, as a newer gateway may add: skipped, as JSONDecoder skips it (it must still be UTF-8).
                guard String(validating: UnsafeBufferPointer(rebasing: b[name]), as: UTF8.self) != nil, skipScalar() else { return nil }
            }
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            guard take(UInt8(ascii: "}")) else { return nil }
            break
        }
        skipSpace()
        guard i == b.count, version == GatewayEvent.schemaVersion, let seq, let gateway, let store, let type, let ts,
              let zone, let reader, let antenna, let subject, type == .presenceEnter || type == .presenceExit else { return nil }
        var presence = Presence(zone: zone, reader: reader, antenna: antenna, subject: subject, token: token, visit: visit, epc: epc,
                                gtin: gtin, product: product, rssi: rssi, dwellMs: dwellMs, visitEnd: visitEnd)
        presence.sold = sold
        return GatewayEvent(seq: seq, gateway: gateway, store: store, ts: ts,
                            payload: type == .presenceEnter ? .presenceEnter(presence) : .presenceExit(presence))
    }

    /// The names of ``Key`` in its order, each packed as ``packed(_:)`` packs a name.
    private static let names: [UInt64] = ["v", "seq", "gateway", "store", "type", "ts", "zone", "reader", "antenna", "subject", "token",
                                           "visit", "epc", "gtin", "product", "rssi", "dwellMs", "visitEnd", "sold"].map {
        Array($0.utf8).withUnsafeBufferPointer { packed($0)! }
    }

    /// The bytes of a name of at most 8 bytes in one integer, first byte lowest; `nil` for a longer one.
    /// Unambiguous: a key never holds a NUL (``rawString()`` refuses control characters), so the zero
    /// padding cannot be mistaken for one.
    private static func packed(_ name: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard name.count <= 8 else { return nil }
        var value: UInt64 = 0
        for (offset, byte) in name.enumerated() { value |= UInt64(byte) << (8 * offset) }
        return value
    }

    private func key(_ range: Range<Int>) -> Key? {
        guard let name = Self.packed(UnsafeBufferPointer(rebasing: b[range])), let index = Self.names.firstIndex(of: name) else { return nil }
        return Key(rawValue: UInt32(index))
    }

    private func presenceSubject(_ range: Range<Int>) -> PresenceSubject? {
        if bytes(range, equal: "item") { return .item }
        if bytes(range, equal: "tag") { return .tag }
        if bytes(range, equal: "customer") { return .customer }
        if bytes(range, equal: "visitor") { return .visitor }
        return nil
    }

    /// Whether the string at `range` is `word`, compared as bytes: no `String` built for an enum's raw value.
    private func bytes(_ range: Range<Int>, equal word: StaticString) -> Bool {
        range.count == word.utf8CodeUnitCount && word.withUTF8Buffer { $0.elementsEqual(UnsafeBufferPointer(rebasing: b[range])) }
    }

    private var byte: UInt8? { i < b.count ? b[i] : nil }

    private mutating func take(_ expected: UInt8) -> Bool {
        guard byte == expected else { return false }
        i += 1
        return true
    }

    private mutating func skipSpace() {
        while let c = byte, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 }
    }

    /// The bytes between the quotes of a string without escapes or control characters; `nil` otherwise.
    private mutating func rawString() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = i
        var bits: UInt8 = 0
        while let c = byte {
            if c == UInt8(ascii: "\"") {
                i += 1
                lastStringIsASCII = bits < 0x80
                return start..<(i - 1)
            }
            guard c != UInt8(ascii: "\\"), c >= 0x20 else { return nil }
            bits |= c
            i += 1
        }
        return nil
    }

    /// Whether the string ``rawString()`` last returned is all ASCII.
    private var lastStringIsASCII = false

    /// A string without escapes, as valid UTF-8.
    private mutating func string() -> String? {
        guard let range = rawString() else { return nil }
        let utf8 = UnsafeBufferPointer(rebasing: b[range])
        // ASCII is valid UTF-8 as it is; the generic validation would look up its metadata on every call.
        return lastStringIsASCII ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
    }

    /// The bytes of a number in JSON's grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func number() -> (range: Range<Int>, isInteger: Bool)? {
        let start = i
        _ = take(UInt8(ascii: "-"))
        if take(UInt8(ascii: "0")) {
            // A leading zero stands alone.
        } else {
            guard digits() > 0 else { return nil }
        }
        var isInteger = true
        if take(UInt8(ascii: ".")) {
            guard digits() > 0 else { return nil }
            isInteger = false
        }
        if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard digits() > 0 else { return nil }
            isInteger = false
        }
        return (start..<i, isInteger)
    }

    private mutating func digits() -> Int {
        let start = i
        while let c = byte, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { i += 1 }
        return i - start
    }

    /// An integer written without fraction or exponent that fits `T`.
    private mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
        guard let (range, isInteger) = number(), isInteger else { return nil }
        var negative = false
        var value: T = 0
        for index in range {
            let c = b[index]
            if c == UInt8(ascii: "-") {
                negative = true
                continue
            }
            let digit = T(c &- UInt8(ascii: "0"))
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
        }
        return value
    }

    /// A finite double.
    private mutating func double() -> Double? {
        guard let (range, _) = number() else { return nil }
        // Short enough to be a small string, so no allocation; the grammar was checked above.
        guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self)), value.isFinite else { return nil }
        // A non-zero number that underflows to zero (`5e-3241`) is refused by JSONDecoder: leave it to it.
        if value == 0, b[range].prefix(while: { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") }).contains(where: { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "9") }) {
            return nil
        }
        return value
    }

    private mutating func bool() -> Bool? {
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard i + count <= b.count else { return false }
        let matches = bytes(i..<(i + count), equal: word)
        if matches { i += count }
        return matches
    }

    /// Skips a string, a number or a literal; `false` for anything else (objects, arrays, `null`).
    private mutating func skipScalar() -> Bool {
        switch byte {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return bool() != nil
        default: return number() != nil
        }
    }
}
