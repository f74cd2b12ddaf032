import Foundation
import Testing
@testable import Segmentation
import SeededRandom

@Suite("RFM")
struct RFMTests {
    /// Hand-worked: as of 2024-12-31, window 365 days = 2024-01-02 ... 2024-12-31.
    ///
    /// | id | recency | F | M    | R | F | M | segment           |
    /// | A  | 1       | 1 | 900  | 5 | 1 | 4 | New Customers     |
    /// | B  | 60      | 5 | 250  | 3 | 5 | 1 | Others            |
    /// | C  | 6       | 4 | 400  | 4 | 4 | 3 | Potential Loyalist|
    /// | D  | 333     | 2 | 1000 | 1 | 2 | 5 | At Risk           |
    /// | E  | 138     | 3 | 300  | 2 | 3 | 2 | Loyal Customers   |
    static let purchases: [Purchase] = {
        func p(_ id: String, _ date: String, _ amount: Decimal) -> Purchase { Purchase(customerID: id, date: day(date), amount: amount) }
        return [
            p("A", "2024-12-30", 900),
            p("B", "2024-03-01", 50), p("B", "2024-06-01", 50), p("B", "2024-09-01", 50), p("B", "2024-10-01", 50), p("B", "2024-11-01", 50),
            p("C", "2024-12-01", 100), p("C", "2024-12-15", 100), p("C", "2024-12-20", 100), p("C", "2024-12-25", 100),
            p("D", "2023-06-01", 5000),  // before the window
            p("D", "2024-02-01", 500), p("D", "2024-02-02", 500),
            p("D", "2025-01-05", 5000),  // after as-of
            p("E", "2024-07-01", 30), p("E", "2024-07-01", 20), p("E", "2024-08-01", 100), p("E", "2024-08-15", 150),
        ]
    }()

    @Test("hand-worked scores and segments")
    func handWorked() {
        let scores = RFM.score(purchases: Self.purchases, asOf: day("2024-12-31"), windowDays: 365)
        #expect(scores.map(\.customerID) == ["A", "B", "C", "D", "E"])
        #expect(scores.map(\.recencyDays) == [1, 60, 6, 333, 138])
        #expect(scores.map(\.frequency) == [1, 5, 4, 2, 3])
        #expect(scores.map(\.monetary) == [900, 250, 400, 1000, 300])
        #expect(scores.map(\.cell) == ["514", "351", "443", "125", "232"])
        #expect(scores.map(\.segment) == ["New Customers", "Others", "Potential Loyalist", "At Risk", "Loyal Customers"])
    }

    @Test("ties: equal values share the mid-rank (Hazen) quintile, independent of order")
    func ties() {
        let values = [10, 10, 20, 30, 30, 30, 40, 50, 60, 70]
        #expect(RFM.quintileScores(values) == [1, 1, 2, 3, 3, 3, 4, 4, 5, 5])
        var rng = SplitMix64(seed: 7)
        let shuffled = values.shuffled(using: &rng)
        let scores = RFM.quintileScores(shuffled)
        for (value, score) in zip(shuffled, scores) {
            #expect(score == RFM.quintileScores(values)[values.firstIndex(of: value)!])
        }
        #expect(RFM.quintileScores([5, 5, 5, 5]) == [3, 3, 3, 3])
        #expect(RFM.quintileScores([42]) == [3])
        #expect(RFM.quintileScores([Int]()) == [])
    }

    @Test("ties in data: same recency, frequency and spend get identical scores")
    func dataTies() {
        let purchases = (0..<10).map { i in
            Purchase(customerID: "c\(i)", date: day(i < 4 ? "2024-12-01" : "2024-0\(i - 2)-01"), amount: i < 4 ? 100 : Decimal(i))
        }
        let scores = RFM.score(purchases: purchases, asOf: day("2024-12-31"))
        let tied = scores.filter { ["c0", "c1", "c2", "c3"].contains($0.customerID) }
        #expect(Set(tied.map(\.cell)).count == 1)
        #expect(tied.first?.r == 5)  // mid-rank 8.5 of 10 → floor(5·8/10)+1 = 5
    }

    @Test("map order: first match wins, else Others")
    func mapOrder() {
        #expect(RFM.segment(r: 5, f: 5, m: 5) == "Champions")  // also inside Potential Loyalist
        #expect(RFM.segment(r: 1, f: 3, m: 5) == "Can't Lose Them")  // also inside At Risk
        #expect(RFM.segment(r: 1, f: 5, m: 5) == "At Risk")
        #expect(RFM.segment(r: 2, f: 1, m: 5) == "Others")
        #expect(RFM.segment(r: 1, f: 1, m: 1) == "Lost")
        let wide = RFMSegmentRule(name: "Everyone", r: 1...5, f: 1...5, m: 1...5)
        let narrow = RFMSegmentRule(name: "Best", r: 5...5, f: 5...5, m: 5...5)
        #expect(RFM.segment(r: 5, f: 5, m: 5, rules: [wide, narrow]) == "Everyone")
        #expect(RFM.segment(r: 5, f: 5, m: 5, rules: [narrow, wide]) == "Best")
        #expect(RFM.segment(r: 4, f: 5, m: 5, rules: [narrow]) == "Others")
        #expect(RFMSegmentRule.defaultMap.count == 10)
    }

    @Test("segment rules round-trip through JSON config")
    func codable() throws {
        let data = try JSONEncoder().encode(RFMSegmentRule.defaultMap)
        #expect(try JSONDecoder().decode([RFMSegmentRule].self, from: data) == RFMSegmentRule.defaultMap)
    }
}
