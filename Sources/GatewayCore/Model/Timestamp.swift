#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A point in time as microseconds since the Unix epoch: cheap to copy, compare and subtract.
public struct Timestamp: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microseconds: UInt64

    /// Creates a timestamp from microseconds since the epoch.
    public init(microseconds: UInt64) { self.microseconds = microseconds }

    /// Creates a timestamp from a `Date`.
    public init(_ date: Date) {
        microseconds = UInt64(max(0, (date.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    /// The current wall-clock time.
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1_000)
    }

    /// The same instant as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    /// This time moved by a number of milliseconds (negative moves back).
    public func adding(milliseconds: Int64) -> Timestamp {
        Timestamp(microseconds: UInt64(max(0, Int64(microseconds) + milliseconds * 1_000)))
    }

    /// Milliseconds from `earlier` to this time (negative when `earlier` is later).
    public func milliseconds(since earlier: Timestamp) -> Int64 {
        (Int64(bitPattern: microseconds) - Int64(bitPattern: earlier.microseconds)) / 1_000
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-11-23T06:02:48.123Z`: the bus's `ts` format.
    public var rfc3339: String {
        var seconds = time_t(microseconds / 1_000_000)
        let millis = Int((microseconds / 1_000) % 1_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(ms)Z"
    }

    /// Parses RFC 3339 (`Z` or a numeric offset, optional fraction of 1–9 digits); `nil` when malformed
    /// or before 1970.
    ///
    /// Parsed by hand, strictly: every subscriber decodes a `ts` per event, and a date formatter costs
    /// hundreds of microseconds and, fed hostile text, has crashed inside ICU.
    public init?(rfc3339 text: String) {
        var text = text
        guard let micros = text.withUTF8(Self.parse) else { return nil }
        self.init(microseconds: micros)
    }

    /// Parses RFC 3339 from UTF-8 bytes, as ``init(rfc3339:)`` does; for readers that hold the bytes already.
    public init?(rfc3339UTF8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let micros = Self.parse(bytes) else { return nil }
        self.init(microseconds: micros)
    }

    private static func parse(_ b: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard b.count >= 20 else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for i in from..<from + count {
                let digit = Int(b[i]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2), b[7] == UInt8(ascii: "-"),
              let day = number(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              let hour = number(11, 2), b[13] == UInt8(ascii: ":"), let minute = number(14, 2), b[16] == UInt8(ascii: ":"),
              let second = number(17, 2) else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard year >= 1970, (1...12).contains(month), (1...monthDays[month - 1]).contains(day), hour < 24, minute < 60,
              second <= 60 else { return nil }
        var index = 19
        var fraction = 0
        if b[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < b.count, let digit = number(index, 1) {
                // Microseconds are kept; further digits are checked and dropped.
                if digits < 6 { fraction = fraction * 10 + digit }
                digits += 1
                index += 1
            }
            guard (1...9).contains(digits) else { return nil }
            for _ in 0..<max(0, 6 - digits) { fraction *= 10 }
        }
        guard index < b.count else { return nil }
        var offsetSeconds = 0
        switch b[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard b.count - index >= 6, let hours = number(index + 1, 2), b[index + 3] == UInt8(ascii: ":"),
                  let minutes = number(index + 4, 2), hours < 24, minutes < 60 else { return nil }
            offsetSeconds = (hours * 3_600 + minutes * 60) * (b[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        default:
            return nil
        }
        guard index == b.count else { return nil }
        // Days since the epoch of a civil date (H. Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        // A leap second is read as the last instant of its minute.
        let total = days * 86_400 + hour * 3_600 + minute * 60 + min(second, 59) - offsetSeconds
        guard total >= 0 else { return nil }
        return UInt64(total) * 1_000_000 + UInt64(second == 60 ? 999_999 : fraction)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    public var description: String { rfc3339 }
}
