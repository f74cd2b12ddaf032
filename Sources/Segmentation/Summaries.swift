import Foundation

/// One purchase (ticket) by an identified customer.
///
/// Consent filtering (customers who objected to profiling) is the caller's job; the core uses
/// exactly the purchases it is given.
public struct Purchase: Sendable, Hashable, Codable {
    /// The customer's stable identifier.
    public var customerID: String
    /// The UTC calendar day of the purchase.
    public var date: Day
    /// The amount spent (net of returns, if the caller nets them).
    public var amount: Decimal

    /// Creates a purchase.
    public init(customerID: String, date: Day, amount: Decimal) {
        self.customerID = customerID
        self.date = date
        self.amount = amount
    }
}

/// The time unit in which the BTYD models measure recency `t_x` and age `T`.
///
/// Only `t_x` and `T` are scaled; the frequency stays a count of purchase days. Fitted rate
/// parameters (BG/NBD `alpha`) are therefore expressed in this unit.
public enum TimeUnit: String, Sendable, Hashable, Codable, CaseIterable {
    /// Time measured in days.
    case days
    /// Time measured in weeks (days / 7), the unit of the CDNOW literature.
    case weeks

    /// Length of one unit in days.
    public var days: Double {
        switch self {
        case .days: return 1
        case .weeks: return 7
        }
    }
}

/// The (x, t_x, T) triple the BG/NBD likelihood consumes.
public struct BGNBDObservation: Sendable, Hashable, Codable {
    /// Number of repeat purchase days x.
    public var x: Int
    /// Time of the last purchase since the first, t_x (0 when x = 0).
    public var tx: Double
    /// Age T: as-of time minus the first purchase.
    public var T: Double

    /// Creates an observation; callers guarantee 0 ≤ t_x ≤ T and x ≥ 0.
    public init(x: Int, tx: Double, T: Double) {
        self.x = x
        self.tx = tx
        self.T = T
    }
}

/// Per-customer repeat-buying summary in the BTYD convention (Fader, Hardie & Lee 2005).
public struct CustomerSummary: Sendable, Hashable, Codable {
    /// The customer's identifier.
    public var customerID: String
    /// Day of the first purchase (the customer's "birth").
    public var firstPurchase: Day
    /// Day of the last purchase on or before the as-of day.
    public var lastPurchase: Day
    /// Repeat purchase days x: distinct purchase days minus one.
    public var frequency: Int
    /// Recency t_x: last purchase minus first purchase, in ``unit``.
    public var recency: Double
    /// Age T: as-of day minus first purchase, in ``unit``.
    public var age: Double
    /// Mean spend per *repeat* purchase day (the first day is excluded, as in the Gamma-Gamma
    /// literature, because the acquisition purchase is often atypical); 0 when x = 0.
    public var monetary: Decimal
    /// Total spend over all purchase days up to the as-of day.
    public var totalSpend: Decimal
    /// Number of distinct purchase days (x + 1).
    public var purchaseDays: Int
    /// The unit of ``recency`` and ``age``.
    public var unit: TimeUnit

    /// Creates a summary directly (tests and callers with pre-aggregated data).
    public init(
        customerID: String, firstPurchase: Day, lastPurchase: Day, frequency: Int, recency: Double,
        age: Double, monetary: Decimal, totalSpend: Decimal, purchaseDays: Int, unit: TimeUnit
    ) {
        self.customerID = customerID
        self.firstPurchase = firstPurchase
        self.lastPurchase = lastPurchase
        self.frequency = frequency
        self.recency = recency
        self.age = age
        self.monetary = monetary
        self.totalSpend = totalSpend
        self.purchaseDays = purchaseDays
        self.unit = unit
    }

    /// The (x, t_x, T) triple for the BG/NBD model.
    public var bgnbdObservation: BGNBDObservation {
        BGNBDObservation(x: frequency, tx: recency, T: age)
    }

    /// ``monetary`` as a `Double` for the Gamma-Gamma model.
    public var monetaryValue: Double { decimalToDouble(monetary) }
}

/// Converts a `Decimal` to `Double` (the models work in floating point; money stays `Decimal`).
func decimalToDouble(_ value: Decimal) -> Double {
    NSDecimalNumber(decimal: value).doubleValue
}

/// Summarises purchases per customer as of `asOf` (inclusive), in the BTYD convention.
///
/// - Purchases dated after `asOf` are ignored, so a summary can be recomputed for any past day.
/// - Several purchases on one day are one purchase day; their amounts are summed.
/// - `unit` scales only `recency` (t_x) and `age` (T).
/// - The result is sorted by customer id so output is deterministic.
public func summarize(purchases: [Purchase], asOf: Day, unit: TimeUnit = .weeks) -> [CustomerSummary] {
    var byCustomer: [String: [Day: Decimal]] = [:]
    for purchase in purchases where purchase.date <= asOf {
        byCustomer[purchase.customerID, default: [:]][purchase.date, default: 0] += purchase.amount
    }
    var result: [CustomerSummary] = []
    result.reserveCapacity(byCustomer.count)
    for (customerID, days) in byCustomer {
        let ordered = days.sorted { $0.key < $1.key }
        guard let first = ordered.first, let last = ordered.last else { continue }
        let total = ordered.reduce(Decimal(0)) { $0 + $1.value }
        let x = ordered.count - 1
        let repeatSpend = total - first.value
        let monetary = x > 0 ? repeatSpend / Decimal(x) : 0
        result.append(
            CustomerSummary(
                customerID: customerID,
                firstPurchase: first.key,
                lastPurchase: last.key,
                frequency: x,
                recency: Double(last.key.days(since: first.key)) / unit.days,
                age: Double(asOf.days(since: first.key)) / unit.days,
                monetary: monetary,
                totalSpend: total,
                purchaseDays: ordered.count,
                unit: unit
            ))
    }
    result.sort { $0.customerID < $1.customerID }
    return result
}
