import Foundation

/// A condition that qualifies a customer for a tier.
public enum TierRule: Sendable, Hashable, Codable {
    /// Spend in the window (asOf − windowDays, asOf] is at least `min`.
    case spendOverWindow(min: Decimal, windowDays: Int)
    /// Among the customers with a positive CLV, in the top `percent` % by CLV.
    case topPercentByCLV(percent: Double)
    /// Among the customers with positive total spend (all purchases up to as-of), in the top `percent` %.
    case topPercentBySpend(percent: Double)
    /// The customer's RFM segment is one of `names`.
    case rfmSegment(names: [String])
}

/// A named tier and the rule that qualifies for it. Definitions are listed highest tier first.
public struct TierDefinition: Sendable, Hashable, Codable {
    /// The tier's name, e.g. "Gold".
    public var name: String
    /// The qualifying rule.
    public var rule: TierRule

    /// Creates a definition.
    public init(name: String, rule: TierRule) {
        self.name = name
        self.rule = rule
    }
}

/// A customer's persisted tier status, carried from one evaluation to the next.
public struct TierState: Sendable, Hashable, Codable {
    /// The tier held.
    public var tier: String
    /// The last day the customer actually qualified for ``tier`` (or was manually assigned it).
    public var qualifiedUntil: Day

    /// Creates a state.
    public init(tier: String, qualifiedUntil: Day) {
        self.tier = tier
        self.qualifiedUntil = qualifiedUntil
    }
}

/// A change of tier between the previous and the new evaluation.
public struct TierChange: Sendable, Hashable, Codable {
    /// Why the tier changed.
    public enum Reason: String, Sendable, Hashable, Codable {
        /// Qualified for a tier while holding none.
        case qualified
        /// Qualified for a higher tier than the one held.
        case upgraded
        /// Grace expired; now holds a lower tier that they qualify for.
        case downgraded
        /// Grace expired with no qualifying tier.
        case expired
        /// A manual override assigned or replaced the tier.
        case manual
    }

    /// The customer's identifier.
    public var customerID: String
    /// Tier before (nil = none).
    public var from: String?
    /// Tier after (nil = none).
    public var to: String?
    /// Why.
    public var reason: Reason

    /// Creates a change record.
    public init(customerID: String, from: String?, to: String?, reason: Reason) {
        self.customerID = customerID
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// Per-customer facts the tier rules look at.
public struct TierFacts: Sendable, Hashable, Codable {
    /// The customer's identifier.
    public var customerID: String
    /// Lifetime value, if the models could be fitted.
    public var clv: Double?
    /// Total spend up to the as-of day.
    public var totalSpend: Decimal
    /// RFM segment, if the customer was scored in the RFM window.
    public var rfmSegment: String?

    /// Creates a facts row.
    public init(customerID: String, clv: Double?, totalSpend: Decimal, rfmSegment: String?) {
        self.customerID = customerID
        self.clv = clv
        self.totalSpend = totalSpend
        self.rfmSegment = rfmSegment
    }
}

/// The outcome of a tier evaluation.
public struct TierEvaluation: Sendable, Hashable, Codable {
    /// New states to persist, keyed by customer id (customers with no tier are absent).
    public var states: [String: TierState]
    /// Changes against the previous states, sorted by customer id.
    public var changes: [TierChange]
}

/// Tier assignment with manual overrides and a grace period.
public enum Tiers {
    /// Assigns tiers as of `asOf`.
    ///
    /// Order of precedence: (1) a manual override (customer id → tier) always wins and counts as
    /// qualifying on `asOf`; (2) otherwise the first definition whose rule holds is the qualifying
    /// tier (definitions are highest first); (3) a customer whose previous tier is higher than the
    /// qualifying one (or who qualifies for none) keeps the previous tier while
    /// `asOf ≤ qualifiedUntil + graceDays`. A previous tier not among the definitions (say a
    /// retired manual tier) ranks below all defined tiers.
    ///
    /// Top-percent rules count ties inclusively: a customer qualifies when fewer than
    /// ⌈percent/100 · N⌉ customers have a strictly larger value (N = customers with a positive
    /// value), so equal values never get different outcomes.
    public static func evaluate(
        definitions: [TierDefinition], facts: [TierFacts], purchases: [Purchase], asOf: Day,
        previous: [String: TierState] = [:], manual: [String: String] = [:], graceDays: Int = 0
    ) -> TierEvaluation {
        let qualifying = qualifyingTiers(definitions: definitions, facts: facts, purchases: purchases, asOf: asOf)
        let rank = Dictionary(definitions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        func rankOf(_ tier: String) -> Int { rank[tier] ?? Int.max }

        var ids = Set(facts.map(\.customerID))
        ids.formUnion(previous.keys)
        ids.formUnion(manual.keys)
        var states: [String: TierState] = [:]
        var changes: [TierChange] = []
        for id in ids.sorted() {
            let before = previous[id]
            var after: TierState?
            var reason: TierChange.Reason
            if let forced = manual[id] {
                after = TierState(tier: forced, qualifiedUntil: asOf)
                reason = .manual
            } else if let earned = qualifying[id], before == nil || rankOf(earned) <= rankOf(before!.tier) {
                after = TierState(tier: earned, qualifiedUntil: asOf)
                reason = before == nil ? .qualified : .upgraded
            } else if let held = before, asOf.days(since: held.qualifiedUntil) <= graceDays {
                after = held  // within grace: keep the tier and the day it was last earned
                reason = .downgraded  // unused: the tier does not change
            } else {
                after = qualifying[id].map { TierState(tier: $0, qualifiedUntil: asOf) }
                reason = after == nil ? .expired : .downgraded
            }
            if let after { states[id] = after }
            if before?.tier != after?.tier {
                changes.append(TierChange(customerID: id, from: before?.tier, to: after?.tier, reason: reason))
            }
        }
        return TierEvaluation(states: states, changes: changes)
    }

    /// The first (highest) tier each customer qualifies for today, ignoring history and overrides.
    public static func qualifyingTiers(
        definitions: [TierDefinition], facts: [TierFacts], purchases: [Purchase], asOf: Day
    ) -> [String: String] {
        var result: [String: String] = [:]
        var satisfied: [[String: Bool]] = []
        for definition in definitions {
            switch definition.rule {
            case let .spendOverWindow(minimum, windowDays):
                let start = asOf.adding(days: -(max(windowDays, 1) - 1))
                var spend: [String: Decimal] = [:]
                for purchase in purchases where purchase.date >= start && purchase.date <= asOf {
                    spend[purchase.customerID, default: 0] += purchase.amount
                }
                satisfied.append(spend.filter { $0.value >= minimum }.mapValues { _ in true })
            case let .topPercentByCLV(percent):
                satisfied.append(topPercent(facts.compactMap { f in f.clv.map { (f.customerID, $0) } }, percent: percent))
            case let .topPercentBySpend(percent):
                satisfied.append(topPercent(facts.map { ($0.customerID, $0.totalSpend) }, percent: percent))
            case let .rfmSegment(names):
                let wanted = Set(names)
                satisfied.append(Dictionary(
                    facts.compactMap { f in f.rfmSegment.flatMap { wanted.contains($0) ? (f.customerID, true) : nil } },
                    uniquingKeysWith: { first, _ in first }))
            }
        }
        var ids = Set(facts.map(\.customerID))
        for set in satisfied { ids.formUnion(set.keys) }
        for id in ids {
            if let index = satisfied.firstIndex(where: { $0[id] == true }) { result[id] = definitions[index].name }
        }
        return result
    }

    /// Customers in the top `percent` % by a positive value, ties inclusive (see ``evaluate``).
    static func topPercent<Value: Comparable & SignedNumeric>(_ values: [(String, Value)], percent: Double) -> [String: Bool] {
        let positive = values.filter { $0.1 > 0 }
        guard percent > 0, !positive.isEmpty else { return [:] }
        let quota = Int((min(percent, 100) / 100 * Double(positive.count)).rounded(.up))
        let sorted = positive.map(\.1).sorted(by: >)
        var result: [String: Bool] = [:]
        for (id, value) in positive {
            // Number of strictly larger values = index of the first element not larger than `value`.
            var low = 0, high = sorted.count
            while low < high {
                let mid = (low + high) / 2
                if sorted[mid] > value { low = mid + 1 } else { high = mid }
            }
            if low < quota { result[id] = true }
        }
        return result
    }
}
