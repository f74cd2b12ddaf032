import Foundation
import GRDB
import GatewayCore
import Segmentation
import Testing

@testable import CRMStore

/// Settings with one spend rule: 500 or more in a year makes a VIP.
private func vipSettings(grace: Int = 0) -> SegmentationSettings {
    var settings = SegmentationSettings()
    settings.tierRules = [TierDefinition(name: "vip", rule: .spendOverWindow(min: 500, windowDays: 365))]
    settings.graceDays = grace
    return settings
}

private let asOf = Day(iso: "2024-06-30")!

@Suite struct SegmentationMigrationTests {
    @Test func aVersion2StoreGainsTheSegmentationTablesAndKeepsItsCustomers() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crm-v2-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/crm.sqlite"
        do {
            let old = try DatabasePool(path: path)
            try Schema.migrator.migrate(old, upTo: "v2-staff-users")
            try old.write { db in
                try db.execute(sql: """
                    INSERT INTO customers (customer_id, tier, recognition_consent, token, updated_at)
                    VALUES ('C-old', 'regular', 1, 'tok-old', '2024-01-01T00:00:00.000Z')
                    """)
            }
            try old.close()
        }
        let scratch = try Scratch()
        let database = try CRMDatabase(path: path, logger: scratch.logger)
        defer { try? database.close() }
        let (tables, profiling) = try database.pool.read { db in
            (try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"),
             try Int.fetchOne(db, sql: "SELECT profiling_consent FROM customers WHERE customer_id = 'C-old'"))
        }
        for table in ["customer_segments", "segment_outbox", "segmentation_runs", "tier_history"] {
            #expect(tables.contains(table), "missing table \(table)")
        }
        // Existing customers may be profiled until they object.
        #expect(profiling == 1)
    }

    @Test func theProfilingColumnIsOptionalAndItsDefaultComesFromTheCaller() throws {
        let scratch = try Scratch()
        let old = try scratch.file("old.csv", """
            customer_id,first_name,last_name,email,tier,credentials,recognition_consent
            C-1,Ada,,,,,yes
            """)
        let new = try scratch.file("new.csv", """
            customer_id,first_name,last_name,email,tier,credentials,recognition_consent,profiling_consent
            C-2,Bo,,,,,yes,no
            C-3,Cy,,,,,no,
            C-4,Di,,,,,no,maybe
            """)
        #expect(try scratch.importer.importCustomers(file: old, tokenizer: scratch.tokenizer, profilingDefault: false).imported == 1)
        let summary = try scratch.importer.importCustomers(file: new, tokenizer: scratch.tokenizer)
        #expect(summary.imported == 2)
        #expect(summary.errors == ["\(new):4: column 'profiling_consent': 'maybe' is not yes or no"])
        // Re-importing the old file (no column) keeps what the store has.
        _ = try scratch.importer.importCustomers(file: old, tokenizer: scratch.tokenizer, profilingDefault: true)
        let flags = try scratch.database.pool.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT customer_id, profiling_consent FROM customers").map {
                (String.fromDatabaseValue($0[0])!, Bool.fromDatabaseValue($0[1])!)
            })
        }
        #expect(flags == ["C-1": false, "C-2": false, "C-3": true])
    }
}

@Suite struct TransactionImportTests {
    @Test func goodFileImportsSalesLinesAndCreatesUnknownCustomersWithoutRecognition() throws {
        let scratch = try Scratch()
        let customers = try scratch.file("customers.csv", """
            customer_id,first_name,last_name,email,tier,credentials,recognition_consent
            C-1,Ada,,,,,yes
            """)
        _ = try scratch.importer.importCustomers(file: customers, tokenizer: scratch.tokenizer)
        let history = try scratch.file("history.csv", """
            customer_id,date,amount,receipt,gtin,quantity,description
            C-1,2024-01-05,12.50,R1,4006381333931,2,Pencils
            C-1,2024-01-05,7.25,R1,,,Eraser
            C-1,2024-02-01,30.00,,,,
            NEW-9,2024-03-01T17:30:00+02:00,99.99,,,,
            NEW-9,2024-03-02,-10.00,,,,Return
            """)
        let revision = try scratch.database.masterRevision()
        let summary = try scratch.importer.importTransactions(file: history, tokenizer: scratch.tokenizer, profilingDefault: false)
        #expect(summary.imported == 5)
        #expect(summary.rejected == 0)
        #expect(summary.customersCreated == 1)
        #expect(try scratch.database.transactionCount() == 4)
        #expect(try scratch.database.masterRevision() > revision)

        let rows = try scratch.database.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.business_day, t.total, t.source, t.token, (SELECT count(*) FROM transaction_lines l WHERE l.transaction_id = t.id)
                FROM transactions t ORDER BY t.business_day, t.id
                """)
        }
        let tokenC1 = scratch.tokenizer.token(for: "C-1")
        let tokenNew = scratch.tokenizer.token(for: "NEW-9")
        #expect(rows.map { String.fromDatabaseValue($0[0])! } == ["2024-01-05", "2024-02-01", "2024-03-01", "2024-03-02"])
        #expect(rows.map { String.fromDatabaseValue($0[1])! } == ["19.75", "30", "99.99", "-10"])
        #expect(rows.allSatisfy { String.fromDatabaseValue($0[2]) == "import" })
        #expect(rows.map { String.fromDatabaseValue($0[3])! } == [tokenC1, tokenC1, tokenNew, tokenNew])
        #expect(rows.map { Int.fromDatabaseValue($0[4])! } == [2, 1, 1, 1])

        let created = try #require(try scratch.database.loadMasterData().customers.first { $0.customerID == "NEW-9" })
        #expect(created.recognitionConsent == false)
        #expect(created.token == tokenNew)
        #expect(created.tier == "regular")
        let profiling = try scratch.database.pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT profiling_consent FROM customers WHERE customer_id = 'NEW-9'")
        }
        #expect(profiling == false)
    }

    @Test func badLinesNameLineAndColumnAndGoodLinesStay() throws {
        let scratch = try Scratch()
        let history = try scratch.file("history.csv", """
            customer_id,date,amount,quantity
            C-1,2024-01-05,12.50,
            C-1,05/01/2024,12.50,
            C-1,2024-02-30,1.00,
            C-1,2024-01-06,12,50,
            C-1,2024-01-07,1e3,
            ,2024-01-07,3.00,
            C-1,2024-01-08,3.00,-1
            C-1,2024-01-09,4.00,0.5
            """)
        let summary = try scratch.importer.importTransactions(file: history, tokenizer: scratch.tokenizer)
        #expect(summary.imported == 2)
        #expect(summary.rejected == 6)
        #expect(summary.errors == [
            "\(history):3: column 'date': '05/01/2024' is not a date (YYYY-MM-DD, or an RFC 3339 time such as 2024-03-01T17:30:00Z)",
            "\(history):4: column 'date': '2024-02-30' is not a date (YYYY-MM-DD, or an RFC 3339 time such as 2024-03-01T17:30:00Z)",
            "\(history):5: 5 fields where the header has 4 (a value with a comma must be quoted)",
            "\(history):6: column 'amount': '1e3' is not a decimal amount (digits and a '.')",
            "\(history):7: column 'customer_id': a value is required",
            "\(history):8: column 'quantity': '-1' is not a positive quantity",
        ])
        #expect(try scratch.database.transactionCount() == 2)
    }

    @Test func aMissingRequiredColumnFailsBeforeAnythingIsWritten() throws {
        let scratch = try Scratch()
        let history = try scratch.file("history.csv", "customer_id,day,amount\nC-1,2024-01-05,1.00\n")
        #expect(throws: CRMStoreError.self) { try scratch.importer.importTransactions(file: history, tokenizer: scratch.tokenizer) }
        #expect(try scratch.database.transactionCount() == 0)
    }

    @Test func reimportingTheSameFileAddsNothingAndAnExtendedFileOnlyItsNewLines() throws {
        let scratch = try Scratch()
        let lines = """
            customer_id,date,amount,receipt
            C-1,2024-01-05,10.00,
            C-1,2024-01-05,10.00,
            C-1,2024-01-06,5.00,R7
            C-1,2024-01-06,6.00,R7
            """
        let history = try scratch.file("history.csv", lines)
        let first = try scratch.importer.importTransactions(file: history, tokenizer: scratch.tokenizer)
        #expect(first.imported == 4)
        // Two identical purchases on one day are two sales, not a duplicate.
        #expect(try scratch.database.transactionCount() == 3)
        let again = try scratch.importer.importTransactions(file: history, tokenizer: scratch.tokenizer)
        #expect(again.imported == 0)
        #expect(again.unchanged == 4)  // every line, the receipt's second one included
        #expect(try scratch.database.transactionCount() == 3)
        let extended = try scratch.file("history2.csv", lines + "\nC-1,2024-01-05,10.00,\n")
        let third = try scratch.importer.importTransactions(file: extended, tokenizer: scratch.tokenizer)
        #expect(third.imported == 1)
        #expect(try scratch.database.transactionCount() == 4)
    }
}

@Suite struct SegmentationJobTests {
    /// Two customers: VIP-to-be C-1 (600 in the year) and C-2 (small spender), plus objector C-3.
    private func store(profilingC3: String = "no") throws -> Scratch {
        let scratch = try Scratch()
        let customers = try scratch.file("customers.csv", """
            customer_id,first_name,last_name,email,tier,credentials,recognition_consent,profiling_consent
            C-1,Ada,Lovelace,ada@example.com,regular,300833B2DDD9014000000001,yes,yes
            C-2,Bo,,,regular,,yes,
            C-3,Cy,,,regular,,yes,\(profilingC3)
            """)
        _ = try scratch.importer.importCustomers(file: customers, tokenizer: scratch.tokenizer)
        let history = try scratch.file("history.csv", """
            customer_id,date,amount
            C-1,2024-01-10,200.00
            C-1,2024-03-10,200.00
            C-1,2024-05-10,200.00
            C-1,2024-08-10,999.00
            C-2,2024-02-01,20.00
            C-2,2024-04-01,25.00
            C-3,2024-02-01,5000.00
            C-3,2024-03-01,5000.00
            """)
        _ = try scratch.importer.importTransactions(file: history, tokenizer: scratch.tokenizer)
        return scratch
    }

    private func tiers(_ scratch: Scratch) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try scratch.database.loadMasterData().customers.map { ($0.customerID, $0.tier) })
    }

    @Test func aRunPromotesWritesHistoryAndOutboxAndLeavesObjectorsOut() throws {
        let scratch = try store()
        let revision = try scratch.database.masterRevision()
        let report = try SegmentationJob(database: scratch.database, settings: vipSettings(), logger: scratch.logger).run(asOf: asOf)
        #expect(report.customers == 2)
        #expect(report.excluded == 1)
        #expect(report.purchases == 5)  // C-1's August purchase is after the as-of day
        #expect(report.tierChanges == 1)
        #expect(report.tiers == ["vip": 1, "regular": 2])
        #expect(try tiers(scratch) == ["C-1": "vip", "C-2": "regular", "C-3": "regular"])
        #expect(try scratch.database.masterRevision() > revision)

        let (segmented, history, runs) = try scratch.database.pool.read { db in
            (try String.fetchAll(db, sql: "SELECT customer_id FROM customer_segments ORDER BY customer_id"),
             try Row.fetchAll(db, sql: "SELECT customer_id, from_tier, to_tier, reason FROM tier_history"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM segmentation_runs"))
        }
        #expect(segmented == ["C-1", "C-2"])
        #expect(history.count == 1)
        #expect(history.first.map { [$0[0], $0[1], $0[2], $0[3]] as [String?] } == ["C-1", "regular", "vip", "qualified"])
        #expect(runs == 1)

        let waiting = try scratch.database.segmentOutbox.waiting()
        #expect(waiting.map(\.token) == [scratch.tokenizer.token(for: "C-1"), scratch.tokenizer.token(for: "C-2")])
        let ada = try #require(waiting.first)
        #expect(ada.tier == "vip")
        #expect(ada.previousTier == "regular")
        #expect(!ada.segment.isEmpty)
        #expect(!waiting.contains { $0.token == scratch.tokenizer.token(for: "C-3") })

        // The same run again changes nothing and queues nothing.
        let again = try SegmentationJob(database: scratch.database, settings: vipSettings(), logger: scratch.logger).run(asOf: asOf)
        #expect(again.published == 0)
        #expect(again.tierChanges == 0)
        #expect(try scratch.database.segmentOutbox.waiting().count == 2)
    }

    @Test func anObjectionRemovesTheSegmentAndTheTierAtTheNextRun() throws {
        let scratch = try store(profilingC3: "yes")
        let job = SegmentationJob(database: scratch.database, settings: vipSettings(grace: 365), logger: scratch.logger)
        _ = try job.run(asOf: asOf)
        #expect(try tiers(scratch)["C-3"] == "vip")
        let objection = try scratch.file("objection.csv", """
            customer_id,recognition_consent,profiling_consent
            C-3,yes,no
            """)
        _ = try scratch.importer.importCustomers(file: objection, tokenizer: scratch.tokenizer)
        // The import left the tier segmentation gave.
        #expect(try tiers(scratch)["C-3"] == "vip")
        let report = try job.run(asOf: asOf)
        #expect(report.excluded == 1)
        #expect(report.removed == 1)
        // Grace does not keep a tier for someone who objected.
        #expect(try tiers(scratch)["C-3"] == "regular")
        let (segmented, reason) = try scratch.database.pool.read { db in
            (try String.fetchAll(db, sql: "SELECT customer_id FROM customer_segments ORDER BY customer_id"),
             try String.fetchOne(db, sql: "SELECT reason FROM tier_history WHERE customer_id = 'C-3' ORDER BY id DESC"))
        }
        #expect(segmented == ["C-1", "C-2"])
        #expect(reason == "objected")
        let last = try #require(try scratch.database.segmentOutbox.waiting().last)
        #expect(last.token == scratch.tokenizer.token(for: "C-3"))
        #expect(last.segment == "")
        #expect(last.tier == "regular")
    }

    @Test func withoutTierRulesTheCSVTierIsLeftAlone() throws {
        let scratch = try store()
        try scratch.database.pool.write { db in try db.execute(sql: "UPDATE customers SET tier = 'gold' WHERE customer_id = 'C-2'") }
        let report = try SegmentationJob(database: scratch.database, settings: SegmentationSettings(), logger: scratch.logger).run(asOf: asOf)
        #expect(report.tierChanges == 0)
        #expect(try tiers(scratch) == ["C-1": "regular", "C-2": "gold", "C-3": "regular"])
    }

    @Test func theOutboxGoesWaitingAnnouncedConfirmedAndReopens() throws {
        let scratch = try store()
        _ = try SegmentationJob(database: scratch.database, settings: vipSettings(), logger: scratch.logger).run(asOf: asOf)
        let waiting = try scratch.database.segmentOutbox.waiting()
        #expect(waiting.count == 2)
        try scratch.database.segmentOutbox.markAnnounced(waiting.map(\.id), afterSeq: 41)
        #expect(try scratch.database.segmentOutbox.waiting().isEmpty)
        let unconfirmed = try scratch.database.segmentOutbox.unconfirmed()
        #expect(unconfirmed.map(\.announcedAfter) == [41, 41])
        try scratch.database.segmentOutbox.confirm([waiting[0].changeID: 42])
        try scratch.database.segmentOutbox.reopen(unconfirmed.map(\.id))
        // Only the unconfirmed one goes back in the queue.
        #expect(try scratch.database.segmentOutbox.waiting().map(\.changeID) == [waiting[1].changeID])
        #expect(try scratch.database.segmentOutbox.pendingCount() == 1)
    }
}

@Suite struct SegmentEventWriterTests {
    @Test func aChangeFromAnotherStoreSetsTierAndSegmentOnce() throws {
        let scratch = try Scratch()
        let customers = try scratch.file("customers.csv", """
            customer_id,first_name,last_name,email,tier,credentials,recognition_consent
            C-1,Ada,,,regular,,yes
            """)
        _ = try scratch.importer.importCustomers(file: customers, tokenizer: scratch.tokenizer)
        let token = scratch.tokenizer.token(for: "C-1")
        let change = CustomerSegment(token: token, segment: "Champions", tier: "vip", previousTier: "regular", change: UUID().uuidString)
        try scratch.writer.apply([Events.event(1, .customerSegment(change))])
        #expect(try scratch.database.loadMasterData().customers.first?.tier == "vip")
        let revision = try scratch.database.masterRevision()
        // Replayed under a new seq (a resent change): nothing moves, not even the revision.
        try scratch.writer.apply([Events.event(2, .customerSegment(change))])
        #expect(try scratch.database.masterRevision() == revision)
        let segment = try scratch.database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT segment FROM customer_segments WHERE customer_id = 'C-1'")
        }
        #expect(segment == "Champions")
    }

    @Test func anOwnChangeIsConfirmedButNeverReappliedOverALaterRun() throws {
        let scratch = try Scratch()
        let customers = try scratch.file("customers.csv", """
            customer_id,first_name,last_name,email,tier,credentials,recognition_consent
            C-1,Ada,,,regular,,yes
            """)
        _ = try scratch.importer.importCustomers(file: customers, tokenizer: scratch.tokenizer)
        let history = try scratch.file("history.csv", "customer_id,date,amount\nC-1,2024-01-10,600.00\n")
        _ = try scratch.importer.importTransactions(file: history, tokenizer: scratch.tokenizer)
        _ = try SegmentationJob(database: scratch.database, settings: vipSettings(), logger: scratch.logger).run(asOf: asOf)
        let promotion = try #require(try scratch.database.segmentOutbox.waiting().first)
        // A later run (a year on, no spend) demotes before the promotion reached the bus.
        _ = try SegmentationJob(database: scratch.database, settings: vipSettings(), logger: scratch.logger).run(asOf: Day(iso: "2025-06-30")!)
        #expect(try scratch.database.loadMasterData().customers.first?.tier == "regular")
        try scratch.writer.apply([Events.event(7, .customerSegment(promotion.payload))])
        #expect(try scratch.database.loadMasterData().customers.first?.tier == "regular")
        let seq = try scratch.database.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT published_seq FROM segment_outbox WHERE change_id = ?", arguments: [promotion.changeID])
        }
        #expect(seq == 7)
    }
}

@Suite struct SegmentationSettingsTests {
    private func parse(_ yaml: String) throws -> SegmentationSettings {
        let root = try ConfigMap.parse(yaml: yaml, source: "test.yaml")
        let settings: SegmentationSettings = try root.decode("segmentation")
        try root.finish()
        return settings
    }

    @Test func everyKeyIsRead() throws {
        let settings = try parse("""
            segmentation:
              schedule: daily 02:30
              timeUnit: days
              window: 180d
              profilingDefault: false
              baseTier: Regular
              segments:
                - { name: Champions, r: 5, f: 5, m: 5 }
                - { name: Rest, r: 1-5, f: 1-5, m: 1-5 }
              clv: { horizon: 365, step: 30, discountRate: 0.05, margin: 0.4 }
              tiers:
                grace: 30d
                rules:
                  - { tier: VIP, spendOver: "500.00", window: 90d }
                  - { tier: vip, topPercentByCLV: 5 }
                  - { tier: gold, segments: [Champions] }
                manual: { C-9: vip }
            """)
        #expect(settings.schedule == .daily(hour: 2, minute: 30))
        #expect(settings.timeUnit == .days)
        #expect(settings.windowDays == 180)
        #expect(settings.profilingDefault == false)
        #expect(settings.baseTier == "regular")
        #expect(settings.segments == [RFMSegmentRule(name: "Champions", r: 5...5, f: 5...5, m: 5...5),
                                      RFMSegmentRule(name: "Rest", r: 1...5, f: 1...5, m: 1...5)])
        #expect(settings.clv == CLVOptions(horizon: 365, step: 30, annualDiscountRate: 0.05, margin: 0.4))
        #expect(settings.graceDays == 30)
        #expect(settings.tierRules == [
            TierDefinition(name: "vip", rule: .spendOverWindow(min: 500, windowDays: 90)),
            TierDefinition(name: "vip", rule: .topPercentByCLV(percent: 5)),
            TierDefinition(name: "gold", rule: .rfmSegment(names: ["Champions"])),
        ])
        #expect(settings.manualTiers == ["C-9": "vip"])
    }

    @Test func defaultsAreOffWeeksAndTheReferenceMap() throws {
        let settings = try parse("segmentation: {}\n")
        #expect(settings.schedule == .off)
        #expect(settings.timeUnit == .weeks)
        #expect(settings.segments == RFMSegmentRule.defaultMap)
        #expect(settings.tierRules.isEmpty)
        #expect(settings.profilingDefault)
    }

    @Test(arguments: [
        ("segmentation: { schedule: nightly }", "segmentation.schedule"),
        ("segmentation: { timeUnit: months }", "segmentation.timeUnit"),
        ("segmentation: { window: 36h }", "segmentation.window"),
        ("segmentation: { colour: blue }", "segmentation.colour"),
        ("segmentation: { segments: [ { name: X, r: 0-5 } ] }", "segmentation.segments[0].r"),
        ("segmentation: { clv: { discountRate: 1.5 } }", "segmentation.clv.discountRate"),
        ("segmentation: { tiers: { rules: [ { tier: vip } ] } }", "segmentation.tiers.rules[0]"),
        ("segmentation: { tiers: { rules: [ { tier: vip, topPercentByCLV: 5, topPercentBySpend: 5 } ] } }", "segmentation.tiers.rules[0]"),
        ("segmentation: { tiers: { rules: [ { tier: vip, spendOver: 'lots' } ] } }", "segmentation.tiers.rules[0].spendOver"),
        ("segmentation: { tiers: { rules: [ { tier: 'v i p', topPercentByCLV: 5 } ] } }", "segmentation.tiers.rules[0].tier"),
        ("segmentation: { tiers: { manual: { C-1: 'not a tier!' } } }", "segmentation.tiers.manual.C-1"),
    ])
    func badValuesNameTheirKeyPath(yaml: String, keyPath: String) throws {
        do {
            _ = try parse(yaml)
            Issue.record("\(yaml) was accepted")
        } catch let error as ConfigError {
            #expect(error.keyPath == keyPath, "\(error)")
        }
    }
}
