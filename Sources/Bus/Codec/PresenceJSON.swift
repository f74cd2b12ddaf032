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
