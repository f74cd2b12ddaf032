import Foundation
import Testing
@testable import Segmentation

@Suite("Tiers")
struct TierTests {
    static let asOf = day("2024-06-30")
    static let definitions = [
        TierDefinition(name: "Gold", rule: .spendOverWindow(min: 500, windowDays: 90)),
        TierDefinition(name: "Silver", rule: .topPercentBySpend(percent: 20)),
        TierDefinition(name: "Bronze", rule: .rfmSegment(names: ["Champions", "Loyal Customers"])),
    ]

    /// g: 600 in the last 90 days → Gold. s1, s2: top spenders overall (tied) → Silver.
    /// b: Loyal Customers → Bronze. n: nothing. Ten customers in all, so the top 20 % quota is 2.
    static let facts: [TierFacts] = [
        TierFacts(customerID: "g", clv: 10, totalSpend: 600, rfmSegment: "Lost"),
        TierFacts(customerID: "s1", clv: 5, totalSpend: 2000, rfmSegment: nil),
        TierFacts(customerID: "s2", clv: 5, totalSpend: 2000, rfmSegment: nil),
        TierFacts(customerID: "b", clv: 1, totalSpend: 50, rfmSegment: "Loyal Customers"),
        TierFacts(customerID: "n", clv: 1, totalSpend: 40, rfmSegment: "Lost"),
    ] + (1...5).map { TierFacts(customerID: "z\($0)", clv: nil, totalSpend: Decimal($0), rfmSegment: nil) }

    static let purchases = [
        Purchase(customerID: "g", date: day("2024-06-01"), amount: 600),
        Purchase(customerID: "s1", date: day("2023-01-01"), amount: 2000),  // outside the 90-day window
        Purchase(customerID: "s2", date: day("2023-01-01"), amount: 2000),
        Purchase(customerID: "b", date: day("2024-06-20"), amount: 50),
    ]

    func evaluate(previous: [String: TierState] = [:], manual: [String: String] = [:], grace: Int = 30) -> TierEvaluation {
        Tiers.evaluate(
            definitions: Self.definitions, facts: Self.facts, purchases: Self.purchases, asOf: Self.asOf,
            previous: previous, manual: manual, graceDays: grace)
    }

    @Test("rules in order; ties at the top-percent boundary are inclusive")
    func qualifying() {
        let result = evaluate()
        #expect(result.states.mapValues(\.tier) == ["g": "Gold", "s1": "Silver", "s2": "Silver", "b": "Bronze"])
        #expect(result.states["g"]?.qualifiedUntil == Self.asOf)
        #expect(result.changes.map(\.customerID) == ["b", "g", "s1", "s2"])
        #expect(result.changes.allSatisfy { $0.reason == .qualified && $0.from == nil })
        // A three-way tie at the top of a 10 % quota (1 slot) still admits all three.
        let tied = Tiers.topPercent([("a", 5), ("b", 5), ("c", 5), ("d", 1)], percent: 10)
        #expect(tied.keys.sorted() == ["a", "b", "c"])
    }

    @Test("grace keeps a higher tier until graceDays after it was last earned, inclusive")
    func grace() {
        let held = evaluate(previous: ["b": TierState(tier: "Gold", qualifiedUntil: Self.asOf.adding(days: -30))])
        #expect(held.states["b"] == TierState(tier: "Gold", qualifiedUntil: Self.asOf.adding(days: -30)))
        #expect(!held.changes.contains { $0.customerID == "b" })

        let lapsed = evaluate(previous: ["b": TierState(tier: "Gold", qualifiedUntil: Self.asOf.adding(days: -31))])
        #expect(lapsed.states["b"] == TierState(tier: "Bronze", qualifiedUntil: Self.asOf))
        #expect(lapsed.changes.first { $0.customerID == "b" } == TierChange(customerID: "b", from: "Gold", to: "Bronze", reason: .downgraded))

        let expired = evaluate(previous: ["n": TierState(tier: "Silver", qualifiedUntil: day("2024-01-01"))])
        #expect(expired.states["n"] == nil)
        #expect(expired.changes.first { $0.customerID == "n" } == TierChange(customerID: "n", from: "Silver", to: nil, reason: .expired))

        // A customer who vanished from the data is still subject to grace.
        let ghost = evaluate(previous: ["ghost": TierState(tier: "Gold", qualifiedUntil: Self.asOf.adding(days: -5))])
        #expect(ghost.states["ghost"]?.tier == "Gold")
    }

    @Test("upgrades are immediate; manual overrides always win")
    func upgradeAndManual() {
        let up = evaluate(previous: ["g": TierState(tier: "Silver", qualifiedUntil: day("2024-06-01"))])
        #expect(up.changes.first { $0.customerID == "g" } == TierChange(customerID: "g", from: "Silver", to: "Gold", reason: .upgraded))

        let manual = evaluate(manual: ["n": "Staff", "g": "Bronze"])
        #expect(manual.states["n"]?.tier == "Staff")
        #expect(manual.states["g"]?.tier == "Bronze")
        #expect(manual.changes.first { $0.customerID == "n" }?.reason == .manual)
    }
}
