import Foundation

/// A calendar day in UTC, stored as the number of days since 1970-01-01.
///
/// Purchases are bucketed by day because the BTYD models count *purchase days*: several
/// tickets on one day are one purchase occasion. An integer day avoids time-zone and
/// floating-point drift in recency arithmetic.
public struct Day: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before the epoch).
    public let daysSince1970: Int

    /// Wraps a raw day number.
    public init(daysSince1970: Int) {
        self.daysSince1970 = daysSince1970
    }

    /// The UTC calendar day containing `date`.
    public init(_ date: Date) {
        self.daysSince1970 = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// Builds a day from a proleptic Gregorian year, month (1–12) and day of month; `nil` if invalid.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Day.daysInMonth(year: year, month: month) else {
            return nil
        }
        self.daysSince1970 = Day.daysFromCivil(year: year, month: month, day: day)
    }

    /// Parses a strict ISO 8601 calendar date `YYYY-MM-DD`; `nil` if malformed or not a real date.
    public init?(iso: String) {
        let bytes = Array(iso.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The `YYYY-MM-DD` form. Years outside 0000...9999 get a sign or extra digits (ISO 8601
    /// expanded form) and are not accepted back by ``init(iso:)``.
    public var iso: String {
        let (year, month, day) = civil
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value.magnitude)
            let digits = text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
            return value < 0 ? "-" + digits : digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// `(year, month, day)` in the proleptic Gregorian calendar.
    public var civil: (year: Int, month: Int, day: Int) {
        // Estimate the year from the mean Gregorian year length, then correct by at most a step or two.
        var year = 1970 + Int((Double(daysSince1970) / 365.2425).rounded(.down))
        while Day.daysFromCivil(year: year, month: 1, day: 1) > daysSince1970 { year -= 1 }
        while Day.daysFromCivil(year: year + 1, month: 1, day: 1) <= daysSince1970 { year += 1 }
        var remaining = daysSince1970 - Day.daysFromCivil(year: year, month: 1, day: 1)
        var month = 1
        while remaining >= Day.daysInMonth(year: year, month: month) {
            remaining -= Day.daysInMonth(year: year, month: month)
            month += 1
        }
        return (year, month, remaining + 1)
    }

    /// The ISO form, so logs and JSON read naturally.
    public var description: String { iso }

    /// The day `days` later (earlier if negative).
    public func adding(days: Int) -> Day { Day(daysSince1970: daysSince1970 + days) }

    /// Whole days from `other` to `self` (positive when `self` is later).
    public func days(since other: Day) -> Int { daysSince1970 - other.daysSince1970 }

    /// Orders days chronologically.
    public static func < (lhs: Day, rhs: Day) -> Bool { lhs.daysSince1970 < rhs.daysSince1970 }

    /// Decodes from an ISO `YYYY-MM-DD` string, the form humans and configs use.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let day = Day(iso: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a YYYY-MM-DD date: \(text)")
        }
        self = day
    }

    /// Encodes as an ISO `YYYY-MM-DD` string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }

    // MARK: - Calendar arithmetic

    private static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Floor division, so leap-year counting also works for years before 1 AD.
    private static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Leap years in [1, year] under the Gregorian rule (extended to non-positive years).
    private static func leapYearsThrough(_ year: Int) -> Int {
        floorDiv(year, 4) - floorDiv(year, 100) + floorDiv(year, 400)
    }

    private static let cumulativeDays = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]

    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        // Whole years since 1970, plus the leap days they contain, plus the offset inside the year.
        let leapDays = leapYearsThrough(year - 1) - leapYearsThrough(1969)
        var days = 365 * (year - 1970) + leapDays + cumulativeDays[month - 1] + day - 1
        if month > 2 && isLeap(year) { days += 1 }
        return days
    }
}
