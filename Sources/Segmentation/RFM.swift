import Foundation

/// One row of an RFM segment map: a named box in (R, F, M) score space.
///
/// A value type so the map can live in configuration; rules are checked in order and the
/// first box containing a customer's scores names the segment.
public struct RFMSegmentRule: Sendable, Hashable, Codable {
    /// The segment name reported for customers matching this rule.
    public var name: String
    /// Accepted recency scores (1–5, 5 = most recent).
    public var r: ClosedRange<Int>
    /// Accepted frequency scores (1–5, 5 = most purchase days).
    public var f: ClosedRange<Int>
    /// Accepted monetary scores (1–5, 5 = highest spend).
    public var m: ClosedRange<Int>

    /// Creates a rule.
    public init(name: String, r: ClosedRange<Int>, f: ClosedRange<Int>, m: ClosedRange<Int>) {
        self.name = name
        self.r = r
        self.f = f
        self.m = m
    }

    /// Whether the scores fall inside this rule's box.
    public func matches(r: Int, f: Int, m: Int) -> Bool {
        self.r.contains(r) && self.f.contains(f) && self.m.contains(m)
    }

    /// The segment name for customers matching no rule.
    public static let othersName = "Others"

    /// The ten-segment default map of the R package `rfm` 0.3.0, in its evaluation order
    /// (REFERENCE.md §6). Order matters: e.g. "Can't Lose Them" sits inside "At Risk" and must
    /// be checked first.
    public static let defaultMap: [RFMSegmentRule] = [
        RFMSegmentRule(name: "Champions", r: 5...5, f: 5...5, m: 5...5),
        RFMSegmentRule(name: "Potential Loyalist", r: 3...5, f: 3...5, m: 2...5),
        RFMSegmentRule(name: "Loyal Customers", r: 2...4, f: 2...4, m: 2...4),
        RFMSegmentRule(name: "Promising", r: 3...4, f: 1...3, m: 3...5),
        RFMSegmentRule(name: "New Customers", r: 4...5, f: 1...3, m: 1...5),
        RFMSegmentRule(name: "Can't Lose Them", r: 1...2, f: 3...4, m: 4...5),
        RFMSegmentRule(name: "At Risk", r: 1...2, f: 2...5, m: 4...5),
        RFMSegmentRule(name: "Need Attention", r: 1...3, f: 3...5, m: 3...5),
        RFMSegmentRule(name: "About To Sleep", r: 2...3, f: 1...3, m: 1...4),
        RFMSegmentRule(name: "Lost", r: 1...1, f: 1...5, m: 1...5),
    ]
}

/// A customer's RFM measurements over the window and the resulting scores and segment.
public struct RFMScore: Sendable, Hashable, Codable {
    /// The customer's identifier.
    public var customerID: String
    /// Days from the last purchase in the window to the as-of day (0 = bought on the as-of day).
    public var recencyDays: Int
    /// Number of distinct purchase days in the window.
    public var frequency: Int
    /// Total spend in the window.
    public var monetary: Decimal
    /// Recency score 1–5 (5 = most recent).
    public var r: Int
    /// Frequency score 1–5 (5 = most purchase days).
    public var f: Int
    /// Monetary score 1–5 (5 = highest spend).
    public var m: Int
    /// The segment named by the first matching rule, or "Others".
    public var segment: String

    /// Creates a score row.
    public init(customerID: String, recencyDays: Int, frequency: Int, monetary: Decimal, r: Int, f: Int, m: Int, segment: String) {
        self.customerID = customerID
        self.recencyDays = recencyDays
        self.frequency = frequency
        self.monetary = monetary
        self.r = r
        self.f = f
        self.m = m
        self.segment = segment
    }

    /// The conventional three-digit cell, e.g. `"545"`.
    public var cell: String { "\(r)\(f)\(m)" }
}

/// RFM scoring: quintile scores and the segment map.
public enum RFM {
    /// Quintile scores 1–5 where larger values get larger scores, with **mid-rank (Hazen) ties**.
    ///
    /// Tie rule: values are ranked ascending; a group of equal values occupying ranks i...j all
    /// get the mid-rank m = (i + j) / 2. The score is `min(5, floor(5 · (m − 0.5) / n) + 1)`,
    /// i.e. the quintile of the Hazen plotting position (m − 0.5) / n. Equal values therefore
    /// always get the same score regardless of input order or customer ids; a single customer or
    /// an all-equal population scores 3 (the middle), not 5.
    public static func quintileScores<Value: Comparable>(_ values: [Value]) -> [Int] {
        let n = values.count
        guard n > 0 else { return [] }
        let order = values.indices.sorted { values[$0] < values[$1] }
        var scores = [Int](repeating: 0, count: n)
        var start = 0
        while start < n {
            var end = start
            while end + 1 < n && !(values[order[start]] < values[order[end + 1]]) { end += 1 }
            // 1-based ranks start+1 ... end+1; the mid-rank is their mean.
            let midRank = Double(start + end + 2) / 2
            let score = min(5, Int((5 * (midRank - 0.5) / Double(n)).rounded(.down)) + 1)
            for position in start...end { scores[order[position]] = score }
            start = end + 1
        }
        return scores
    }

    /// The first rule in `rules` whose box contains (r, f, m); "Others" if none does.
    public static func segment(r: Int, f: Int, m: Int, rules: [RFMSegmentRule] = RFMSegmentRule.defaultMap) -> String {
        rules.first { $0.matches(r: r, f: f, m: m) }?.name ?? RFMSegmentRule.othersName
    }

    /// Scores every customer with at least one purchase in the window `(asOf − windowDays, asOf]`.
    ///
    /// Recency is days since the last purchase in the window, frequency the number of distinct
    /// purchase days in the window, monetary the total spend in the window. Customers with no
    /// purchase in the window are not scored (they have no defined recency within it). Output is
    /// sorted by customer id.
    public static func score(
        purchases: [Purchase], asOf: Day, windowDays: Int = 365, rules: [RFMSegmentRule] = RFMSegmentRule.defaultMap
    ) -> [RFMScore] {
        let windowStart = asOf.adding(days: -(max(windowDays, 1) - 1))
        var byCustomer: [String: (last: Day, days: Set<Day>, spend: Decimal)] = [:]
        for purchase in purchases where purchase.date <= asOf && purchase.date >= windowStart {
            var entry = byCustomer[purchase.customerID] ?? (purchase.date, [], 0)
            entry.last = max(entry.last, purchase.date)
            entry.days.insert(purchase.date)
            entry.spend += purchase.amount
            byCustomer[purchase.customerID] = entry
        }
        let ids = byCustomer.keys.sorted()
        let rows = ids.map { byCustomer[$0]! }
        // Recency: fewer days is better, so score the negated day count.
        let rScores = quintileScores(rows.map { -asOf.days(since: $0.last) })
        let fScores = quintileScores(rows.map { $0.days.count })
        let mScores = quintileScores(rows.map { $0.spend })
        return ids.indices.map { index in
            let row = rows[index]
            let (r, f, m) = (rScores[index], fScores[index], mScores[index])
            return RFMScore(
                customerID: ids[index], recencyDays: asOf.days(since: row.last), frequency: row.days.count,
                monetary: row.spend, r: r, f: f, m: m, segment: segment(r: r, f: f, m: m, rules: rules))
        }
    }
}
