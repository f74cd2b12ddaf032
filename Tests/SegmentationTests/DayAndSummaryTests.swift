import Foundation
import Testing
@testable import Segmentation

@Suite("Day")
struct DayTests {
    @Test("known day numbers and ISO round trip")
    func knownDays() throws {
        #expect(day("1970-01-01").daysSince1970 == 0)
        #expect(day("2000-02-29").daysSince1970 == 11016)
        #expect(day("2024-12-31").daysSince1970 == 20088)
        #expect(day("1900-03-01").daysSince1970 == -25508)
        #expect(day("0000-01-01").daysSince1970 == -719_528)
        #expect(day("9999-12-31").daysSince1970 == 2_932_896)
        #expect(Day(daysSince1970: -719_529).iso == "-0001-12-31")
        // Every day in years 0000...9999 (the range ISO YYYY-MM-DD can express), sampled.
        for raw in stride(from: -719_528, through: 2_932_896, by: 997) {
            let d = Day(daysSince1970: raw)
            #expect(Day(iso: d.iso) == d)
        }
    }

    @Test("rejects malformed and impossible dates")
    func rejects() {
        for text in ["2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-4-01", "20240401", "2024-04-01T00", "abcd-ef-gh"] {
            #expect(Day(iso: text) == nil, "\(text)")
        }
        #expect(Day(iso: "2024-02-29") != nil)
    }

    @Test("Codable as ISO string")
    func codable() throws {
        let data = try JSONEncoder().encode([day("2024-03-05")])
        #expect(String(decoding: data, as: UTF8.self) == #"["2024-03-05"]"#)
        #expect(try JSONDecoder().decode([Day].self, from: data) == [day("2024-03-05")])
    }
}

@Suite("Summaries")
struct SummaryTests {
    let purchases = [
        Purchase(customerID: "b", date: day("2024-01-01"), amount: 10),
        Purchase(customerID: "b", date: day("2024-01-01"), amount: 5),  // same day: merged, 15
        Purchase(customerID: "b", date: day("2024-01-15"), amount: 20),
        Purchase(customerID: "b", date: day("2024-01-29"), amount: 40),
        Purchase(customerID: "b", date: day("2024-01-29"), amount: 2),  // same day: merged, 42
        Purchase(customerID: "b", date: day("2024-03-01"), amount: 999),  // after as-of: ignored
        Purchase(customerID: "a", date: day("2024-02-01"), amount: 7),
        Purchase(customerID: "c", date: day("2024-02-20"), amount: 3),  // only after as-of: absent
    ]

    @Test("same-day purchases merge; after as-of ignored; sorted by id")
    func merge() {
        let s = summarize(purchases: purchases, asOf: day("2024-02-12"), unit: .days)
        #expect(s.map(\.customerID) == ["a", "b"])
        let b = s[1]
        #expect(b.purchaseDays == 3)
        #expect(b.frequency == 2)
        #expect(b.recency == 28)
        #expect(b.age == 42)
        #expect(b.totalSpend == 77)
        #expect(b.monetary == 31)  // (20 + 42) / 2: repeat days only
        let a = s[0]
        #expect(a.frequency == 0 && a.recency == 0 && a.age == 11 && a.monetary == 0 && a.totalSpend == 7)
    }

    @Test("weeks scale only t_x and T")
    func weeks() {
        let d = summarize(purchases: purchases, asOf: day("2024-02-12"), unit: .days)
        let w = summarize(purchases: purchases, asOf: day("2024-02-12"), unit: .weeks)
        #expect(w[1].recency == 4 && w[1].age == 6)
        #expect(w[1].frequency == d[1].frequency && w[1].monetary == d[1].monetary)
        #expect(abs(w[0].age - 11.0 / 7.0) < 1e-12)
    }

    @Test("as-of cutoff is inclusive")
    func cutoff() {
        let s = summarize(purchases: purchases, asOf: day("2024-01-29"), unit: .days)
        #expect(s.first { $0.customerID == "b" }?.frequency == 2)
        let earlier = summarize(purchases: purchases, asOf: day("2024-01-28"), unit: .days)
        #expect(earlier.first { $0.customerID == "b" }?.frequency == 1)
        #expect(summarize(purchases: [], asOf: day("2024-01-28")).isEmpty)
    }
}
