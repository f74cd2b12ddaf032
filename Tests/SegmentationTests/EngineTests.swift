import Foundation
import Testing
@testable import Segmentation
import SeededRandom

@Suite("Segmentation engine")
struct EngineTests {
    @Test("end to end on simulated day-stamped purchases")
    func endToEnd() throws {
        var rng = SplitMix64(seed: 99)
        let start = day("2024-01-01")
        let purchases = simulatePurchases(customers: 1_500, start: start, calibrationWeeks: 39, birthSpreadWeeks: 12, rng: &rng)
        let config = SegmentationConfig(
            asOf: start.adding(days: 39 * 7), unit: .weeks, rfmWindowDays: 180,
            tiers: [
                TierDefinition(name: "Gold", rule: .topPercentByCLV(percent: 5)),
                TierDefinition(name: "Silver", rule: .rfmSegment(names: ["Champions", "Potential Loyalist"])),
            ],
            manualTiers: ["cust-00000": "Staff"], graceDays: 30)
        let result = try SegmentationEngine.run(purchases: purchases, config: config)
        #expect(result.warnings.isEmpty, "\(result.warnings)")
        #expect(result.customers.map(\.customerID) == result.customers.map(\.customerID).sorted())
        #expect(result.customers.count == 1_500)
        let bg = try #require(result.bgnbd)
        #expect(relativeError(bg.r, cdnowBG.r) < 0.3 && relativeError(bg.alpha, cdnowBG.alpha) < 0.3)
        #expect(result.gammaGamma != nil)
        #expect(result.segmentCounts.values.reduce(0, +) == result.customers.filter { $0.rfm != nil }.count)
        for customer in result.customers {
            let pAlive = try #require(customer.pAlive)
            #expect(pAlive >= 0 && pAlive <= 1)
            #expect(try #require(customer.clv) >= 0)
        }
        #expect(result.customers.first?.tier == "Staff")
        // 5 % of 1 500 = 75 by CLV (continuous values: no ties), less the manual override if it was among them.
        let top = Set(result.customers.sorted { $0.clv! > $1.clv! }.prefix(75).map(\.customerID))
        #expect(result.customers.filter { $0.tier == "Gold" }.count == 75 - (top.contains("cust-00000") ? 1 : 0))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let decoded = try JSONDecoder().decode(SegmentationResult.self, from: encoder.encode(result))
        #expect(decoded.customers.count == result.customers.count && decoded.bgnbd == result.bgnbd)
    }

    @Test("no purchases, or only future ones, is a typed error")
    func empty() {
        let config = SegmentationConfig(asOf: day("2024-01-01"))
        #expect(throws: SegmentationError.self) { try SegmentationEngine.run(purchases: [], config: config) }
        do {
            _ = try SegmentationEngine.run(
                purchases: [Purchase(customerID: "a", date: day("2024-02-01"), amount: 1)], config: config)
            Issue.record("expected noPurchases")
        } catch {
            #expect(error.code == .noPurchases)
        }
    }

    @Test("a young store still gets RFM and tiers, with model warnings")
    func young() throws {
        let purchases = [Purchase(customerID: "a", date: day("2024-01-01"), amount: 10)]
        let result = try SegmentationEngine.run(purchases: purchases, config: SegmentationConfig(asOf: day("2024-01-02")))
        #expect(result.bgnbd == nil && result.gammaGamma == nil && result.warnings.count == 2)
        #expect(result.customers.first?.rfm?.segment != nil)
    }
}
