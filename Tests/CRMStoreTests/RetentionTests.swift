import Foundation
import GRDB
import GatewayCore
import Testing

@testable import CRMStore

/// Rows placed around one cutoff: what is strictly older goes, what is at or after it stays.
@Suite struct RetentionTests {
    private static let cutoff = Timestamp(rfc3339: "2026-03-01T10:00:00.000Z")!
    private static let justBefore = cutoff.adding(milliseconds: -1).rfc3339
    private static let atCutoff = cutoff.rfc3339
    private static let longBefore = cutoff.adding(milliseconds: -30 * 86_400_000).rfc3339
    private static let after = cutoff.adding(milliseconds: 1).rfc3339

    /// Fills the store: presence `p-old` (gone) and `p-at`, `p-new` (kept); visits `v-old`, `v-open-old`
    /// (gone) and `v-at`, `v-open-at`, `v-long`, `v-undated` (kept); sales `old` (gone, with its lines and
    /// tenders) and `at`, `new` (kept).
    private static func fill(_ scratch: Scratch) throws {
        // Sales come in through the writer so they have real lines and tenders; their times are then set.
        try scratch.writer.apply([Events.event(1, .posTransaction(Events.sale(key: "old"))),
                                  Events.event(2, .posTransaction(Events.sale(key: "at"))),
                                  Events.event(3, .posTransaction(Events.sale(key: "new")))])
        try scratch.database.pool.write { db in
            try db.execute(sql: "DELETE FROM presence")
            for (tag, ts) in [("p-old", justBefore), ("p-at", atCutoff), ("p-new", after)] {
                try db.execute(sql: """
                    INSERT INTO presence (gateway, seq, ts, kind, zone, reader, subject, epc) VALUES ('gw-1', 0, ?, 'enter', 'floor', 'r', 'item', ?)
                    """, arguments: [ts, tag])
            }
            let visits: [(String, String?, String?)] = [
                ("v-old", longBefore, justBefore),   // ended just before: due
                ("v-at", longBefore, atCutoff),      // ended at the cutoff: kept
                ("v-open-old", justBefore, nil),     // never ended, started just before: due
                ("v-open-at", atCutoff, nil),        // never ended, started at the cutoff: kept
                ("v-long", longBefore, after),       // started long ago but ended after: kept
                ("v-undated", nil, nil),             // no age at all: kept
            ]
            for (id, started, ended) in visits {
                try db.execute(sql: "INSERT INTO visits (gateway, visit_id, token, started_at, ended_at, zone) VALUES ('gw-1', ?, NULL, ?, ?, 'entrance')",
                               arguments: [id, started, ended])
            }
            for (suffix, ended) in [("old", justBefore), ("at", atCutoff), ("new", after)] {
                try db.execute(sql: "UPDATE transactions SET ended_at = ? WHERE tx_key = ?", arguments: [ended, "S1/W2/2026-03-01/\(suffix)"])
            }
        }
    }

    private static func presenceTags(_ scratch: Scratch) throws -> [String] {
        try scratch.database.pool.read { db in try String.fetchAll(db, sql: "SELECT epc FROM presence ORDER BY epc") }
    }

    private static func visitIDs(_ scratch: Scratch) throws -> [String] {
        try scratch.database.pool.read { db in try String.fetchAll(db, sql: "SELECT visit_id FROM visits ORDER BY visit_id") }
    }

    private static func saleKeys(_ scratch: Scratch) throws -> [String] {
        try scratch.database.pool.read { db in
            try String.fetchAll(db, sql: "SELECT substr(tx_key, 18) FROM transactions ORDER BY tx_key")
        }
    }

    private static func lineAndTenderCounts(_ scratch: Scratch) throws -> (lines: Int, tenders: Int) {
        try scratch.database.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM transaction_lines") ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM tenders") ?? -1)
        }
    }

    private static let allPresence = ["p-at", "p-new", "p-old"]
    private static let allVisits = ["v-at", "v-long", "v-old", "v-open-at", "v-open-old", "v-undated"]
    private static let allSales = ["at", "new", "old"]

    @Test func purgesWhatIsDueAndNothingElse() throws {
        let scratch = try Scratch()
        try Self.fill(scratch)
        #expect(try Self.lineAndTenderCounts(scratch) == (6, 3))

        let report = try scratch.database.purge(presenceBefore: Self.cutoff, visitsBefore: Self.cutoff, transactionsBefore: Self.cutoff)

        #expect(report == PurgeReport(presence: 1, visits: 2, transactions: 1))
        #expect(report.total == 4)
        #expect(try Self.presenceTags(scratch) == ["p-at", "p-new"])
        #expect(try Self.visitIDs(scratch) == ["v-at", "v-long", "v-open-at", "v-undated"])
        #expect(try Self.saleKeys(scratch) == ["at", "new"])
        // The old sale's two lines and one tender went with it; the kept sales keep theirs.
        #expect(try Self.lineAndTenderCounts(scratch) == (4, 2))

        // Nothing more is due: a second purge removes nothing.
        #expect(try scratch.database.purge(presenceBefore: Self.cutoff, visitsBefore: Self.cutoff, transactionsBefore: Self.cutoff) == PurgeReport())
    }

    @Test("each table is purged only by its own cutoff", arguments: ["presence", "visits", "transactions"])
    func eachTableIndependently(table: String) throws {
        let scratch = try Scratch()
        try Self.fill(scratch)
        let report = try scratch.database.purge(presenceBefore: table == "presence" ? Self.cutoff : nil,
                                                visitsBefore: table == "visits" ? Self.cutoff : nil,
                                                transactionsBefore: table == "transactions" ? Self.cutoff : nil)
        #expect(report == PurgeReport(presence: table == "presence" ? 1 : 0, visits: table == "visits" ? 2 : 0,
                                      transactions: table == "transactions" ? 1 : 0))
        #expect(try Self.presenceTags(scratch) == (table == "presence" ? ["p-at", "p-new"] : Self.allPresence))
        #expect(try Self.visitIDs(scratch) == (table == "visits" ? ["v-at", "v-long", "v-open-at", "v-undated"] : Self.allVisits))
        #expect(try Self.saleKeys(scratch) == (table == "transactions" ? ["at", "new"] : Self.allSales))
        #expect(try Self.lineAndTenderCounts(scratch) == (table == "transactions" ? (4, 2) : (6, 3)))
    }

    @Test func nilCutoffsKeepEverything() throws {
        let scratch = try Scratch()
        try Self.fill(scratch)
        #expect(try scratch.database.purge(presenceBefore: nil, visitsBefore: nil, transactionsBefore: nil) == PurgeReport())
        #expect(try Self.presenceTags(scratch) == Self.allPresence)
        #expect(try Self.visitIDs(scratch) == Self.allVisits)
        #expect(try Self.saleKeys(scratch) == Self.allSales)
        #expect(try Self.lineAndTenderCounts(scratch) == (6, 3))
    }

    @Test func aDryRunCountsWhatADeleteWouldRemoveAndDeletesNothing() throws {
        let scratch = try Scratch()
        try Self.fill(scratch)
        let due = try scratch.database.purge(presenceBefore: Self.cutoff, visitsBefore: Self.cutoff, transactionsBefore: Self.cutoff, dryRun: true)
        #expect(due == PurgeReport(presence: 1, visits: 2, transactions: 1))
        #expect(try Self.presenceTags(scratch) == Self.allPresence)
        #expect(try Self.visitIDs(scratch) == Self.allVisits)
        #expect(try Self.saleKeys(scratch) == Self.allSales)
        #expect(try Self.lineAndTenderCounts(scratch) == (6, 3))
        #expect(try scratch.database.purge(presenceBefore: Self.cutoff, visitsBefore: Self.cutoff, transactionsBefore: Self.cutoff) == due)
    }

    @Test func theIngestPurgesThroughTheEventStoreProtocol() async throws {
        let scratch = try Scratch()
        try Self.fill(scratch)
        let store: any CRMEventStore = scratch.writer
        let report = try await store.purge(presenceBefore: Self.cutoff, visitsBefore: nil, transactionsBefore: Self.cutoff)
        #expect(report == PurgeReport(presence: 1, visits: 0, transactions: 1))
        #expect(try Self.visitIDs(scratch) == Self.allVisits)
    }

    @Test func cutoffsFollowTheConfiguredAges() {
        let now = Timestamp(rfc3339: "2026-03-08T10:00:00.000Z")!
        let retention = CRMConfig.Retention()
        #expect(retention.purgesAnything)
        #expect(CRMConfig.Retention.cutoff(retention.presence, now: now) == Timestamp(rfc3339: "2026-03-01T10:00:00.000Z"))
        #expect(CRMConfig.Retention.cutoff(retention.visits, now: now) == Timestamp(rfc3339: "2025-03-08T10:00:00.000Z"))
        #expect(CRMConfig.Retention.cutoff(retention.transactions, now: now) == nil, "sales are kept unless the store says")
        #expect(!CRMConfig.Retention(presence: nil, visits: nil, transactions: nil).purgesAnything)
    }
}
