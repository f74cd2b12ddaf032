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

    /// Parses RFC 3339 (`Z` or a numeric offset, optional fraction); `nil` when malformed.
    public init?(rfc3339 text: String) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) {
            self.init(date)
            return
        }
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: text) else { return nil }
        self.init(date)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    public var description: String { rfc3339 }
}
