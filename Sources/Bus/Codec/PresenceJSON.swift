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
        var out = JSONWriter()
        out.bytes.reserveCapacity(384)
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
        if let rssi = presence.rssi {
            guard rssi.isFinite else { throw BusError(.codec, "cannot encode \(event.type.topic) seq \(event.seq): .rssi: \(rssi) is not a JSON number") }
            out.key("rssi"); out.number(rssi)
        }
        if let dwellMs = presence.dwellMs { out.key("dwellMs"); out.integer(dwellMs) }
        if let visitEnd = presence.visitEnd { out.key("visitEnd"); out.bool(visitEnd) }
        if let sold = presence.sold { out.key("sold"); out.bool(sold) }
        out.bytes.append(UInt8(ascii: "}"))
        return out.bytes
    }
}

/// Appends one flat JSON object's members to a byte buffer.
struct JSONWriter {
    var bytes: [UInt8] = []

    /// Opens the object on the first key, separates the later ones.
    mutating func key(_ name: StaticString) {
        bytes.append(bytes.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A JSON string: quotes, backslashes and control characters escaped, as `JSONEncoder` does
    /// (slashes are not, as the codec's `withoutEscapingSlashes`).
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Nearly every string has nothing to escape: copied whole.
        let copied = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
            case 0..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A decimal integer.
    mutating func integer<T: BinaryInteger>(_ value: T) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        while magnitude > 0 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        }
        bytes[start...].reverse()
    }

    /// A finite double, in Swift's shortest round-tripping spelling (`-61.5`, `-61.0`, `1e-07`): all JSON numbers.
    mutating func number(_ value: Double) {
        bytes.append(contentsOf: value.description.utf8)
    }

    /// `true` or `false`.
    mutating func bool(_ value: Bool) {
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// RFC 3339 UTC with milliseconds, as `Timestamp.rfc3339` spells it, digit by digit.
    mutating func timestamp(_ ts: Timestamp) {
        var seconds = time_t(ts.microseconds / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        bytes.append(UInt8(ascii: "\""))
        digits(Int(parts.tm_year) + 1900, 4); bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2); bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2); bytes.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2); bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2); bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2); bytes.append(UInt8(ascii: "."))
        digits(Int((ts.microseconds / 1_000) % 1_000), 3)
        bytes.append(UInt8(ascii: "Z"))
        bytes.append(UInt8(ascii: "\""))
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
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest / divisor))
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
                    guard let value = string(), let parsed = EventType(rawValue: value) else { return nil }
                    type = parsed
                case .ts:
                    guard let range = rawString(), let value = Timestamp(rfc3339UTF8: UnsafeBufferPointer(rebasing: b[range])) else { return nil }
                    ts = value
                case .zone: guard let value = string() else { return nil }; zone = value
                case .reader: guard let value = string() else { return nil }; reader = value
                case .antenna: guard let value = integer(Int.self) else { return nil }; antenna = value
                case .subject:
                    guard let value = string(), let parsed = PresenceSubject(rawValue: value) else { return nil }
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

    /// The names of ``Key``, as bytes, in its order.
    private static let names: [[UInt8]] = ["v", "seq", "gateway", "store", "type", "ts", "zone", "reader", "antenna", "subject", "token",
                                           "visit", "epc", "gtin", "product", "rssi", "dwellMs", "visitEnd", "sold"].map { Array($0.utf8) }

    private func key(_ range: Range<Int>) -> Key? {
        let name = UnsafeBufferPointer(rebasing: b[range])
        guard let index = Self.names.firstIndex(where: { $0.elementsEqual(name) }) else { return nil }
        return Key(rawValue: UInt32(index))
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
        let matches = word.withUTF8Buffer { $0.elementsEqual(UnsafeBufferPointer(rebasing: b[i..<(i + count)])) }
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
