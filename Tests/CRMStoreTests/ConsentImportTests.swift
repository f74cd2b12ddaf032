import Foundation
import GRDB
import GatewayCore
import Testing

@testable import CRMStore

/// The consent columns of the customers CSV: every purpose with its time and version, and a history
/// row per change, against a real SQLite file.
@Suite struct ConsentImportTests {
    private let header = "customer_id,recognition_consent,profiling_consent,marketing_consent,consent_version,consent_at\n"

    /// One history row, as compared in the tests.
    private struct Entry: Equatable, CustomStringConvertible {
        var customer: String
        var purpose: String
        var granted: Bool
        var version: String?
        var changedAt: String
        var description: String { "\(customer) \(purpose) \(granted) \(version ?? "-") \(changedAt)" }
    }

    private func history(_ scratch: Scratch) throws -> [Entry] {
        try scratch.database.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT customer_id, purpose, granted, version, changed_at, source FROM consent_history ORDER BY id
                """).map { row in
                #expect(row[5] as String == "import")
                return Entry(customer: row[0], purpose: row[1], granted: row[2], version: row[3], changedAt: row[4])
            }
        }
    }

    private func consent(_ scratch: Scratch, _ customer: String) throws -> [ConsentPurpose: ConsentState] {
        try #require(try scratch.database.consent(customerID: customer))
    }

    @Test func marketingConsentIsImportedAndNewCustomersDefaultToNo() throws {
        let scratch = try Scratch()
        let file = try scratch.file("customers.csv", """
            customer_id,recognition_consent,marketing_consent
            C-1,yes,yes
            C-2,yes,no
            C-3,no,
            C-4,no,perhaps
            """)
        let summary = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        #expect(summary.imported == 3)
        #expect(summary.errors == ["\(file):5: column 'marketing_consent': 'perhaps' is not yes or no"])
        #expect(try consent(scratch, "C-1")[.marketing]?.granted == true)
        #expect(try consent(scratch, "C-1")[.marketing]?.at != nil)
        #expect(try consent(scratch, "C-2")[.marketing] == ConsentState(granted: false, at: nil, version: nil))
        #expect(try consent(scratch, "C-3")[.marketing] == ConsentState(granted: false, at: nil, version: nil))

        // A file without the column leaves what the store has.
        let plain = try scratch.file("plain.csv", "customer_id,recognition_consent\nC-1,yes\n")
        #expect(try scratch.importer.importCustomers(file: plain, tokenizer: scratch.tokenizer).updated == 1)
        #expect(try consent(scratch, "C-1")[.marketing]?.granted == true)
        // Only what the lines stated is history; C-3's default marketing refusal is not.
        #expect(try history(scratch).filter { $0.purpose == "marketing" }.map(\.customer) == ["C-1", "C-2"])
    }

    @Test func versionAndTimeAreRecordedForEveryPurposeTheLineSets() throws {
        let scratch = try Scratch()
        let file = try scratch.file("customers.csv", header + """
            C-1,yes,no,yes,2026-05,2026-05-01T11:00:00+02:00
            C-2,no,,,2026-05,
            """)
        let before = Timestamp.now().rfc3339
        let summary = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        let after = Timestamp.now().rfc3339
        #expect(summary.imported == 2 && summary.rejected == 0)

        let ada = try consent(scratch, "C-1")
        #expect(ada[.recognition] == ConsentState(granted: true, at: "2026-05-01T09:00:00.000Z", version: "2026-05"))
        #expect(ada[.profiling] == ConsentState(granted: false, at: nil, version: "2026-05"))
        #expect(ada[.marketing] == ConsentState(granted: true, at: "2026-05-01T09:00:00.000Z", version: "2026-05"))
        // Without `consent_at` the import time counts; profiling and marketing were not set by the line.
        let bob = try consent(scratch, "C-2")
        #expect(bob[.recognition] == ConsentState(granted: false, at: nil, version: "2026-05"))
        #expect(bob[.profiling] == ConsentState(granted: true, at: nil, version: nil))
        #expect(bob[.marketing] == ConsentState(granted: false, at: nil, version: nil))

        let entries = try history(scratch)
        #expect(entries.prefix(3) == [
            Entry(customer: "C-1", purpose: "recognition", granted: true, version: "2026-05", changedAt: "2026-05-01T09:00:00.000Z"),
            Entry(customer: "C-1", purpose: "profiling", granted: false, version: "2026-05", changedAt: "2026-05-01T09:00:00.000Z"),
            Entry(customer: "C-1", purpose: "marketing", granted: true, version: "2026-05", changedAt: "2026-05-01T09:00:00.000Z"),
        ])
        #expect(entries.count == 4)
        let last = try #require(entries.last)
        #expect(last.customer == "C-2" && last.purpose == "recognition" && !last.granted && last.version == "2026-05")
        #expect(last.changedAt >= before && last.changedAt <= after)
    }

    @Test func importingTheSameFileAgainAddsNoHistoryAndMovesNoTime() throws {
        let scratch = try Scratch()
        // No `consent_at`: a second run at a later import time must still change nothing.
        let file = try scratch.file("customers.csv", """
            customer_id,recognition_consent,profiling_consent,marketing_consent,consent_version
            C-1,yes,yes,yes,v1
            C-2,no,no,no,v1
            C-3,yes,,,
            """)
        _ = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        let firstHistory = try history(scratch)
        let firstStates = try ["C-1", "C-2", "C-3"].map { try consent(scratch, $0) }
        #expect(firstHistory.count == 7)

        let summary = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        #expect(summary.imported == 3 && summary.updated == 3 && summary.rejected == 0)
        #expect(try history(scratch) == firstHistory)
        #expect(try ["C-1", "C-2", "C-3"].map { try consent(scratch, $0) } == firstStates)
    }

    @Test func aChangeOnReimportAddsOneHistoryRowPerChangedPurpose() throws {
        let scratch = try Scratch()
        let first = try scratch.file("first.csv", header + "C-1,yes,yes,no,v1,2026-01-01T08:00:00Z\nC-2,yes,yes,no,v1,2026-01-01T08:00:00Z\n")
        _ = try scratch.importer.importCustomers(file: first, tokenizer: scratch.tokenizer)
        #expect(try history(scratch).count == 6)

        // C-1 withdraws recognition and agrees to marketing; profiling and C-2 stay as they are.
        let second = try scratch.file("second.csv", header + "C-1,no,yes,yes,v1,2026-02-01T08:00:00Z\nC-2,yes,yes,no,v1,2026-02-01T08:00:00Z\n")
        let summary = try scratch.importer.importCustomers(file: second, tokenizer: scratch.tokenizer)
        #expect(summary.updated == 2)
        let added = try history(scratch).dropFirst(6)
        #expect(Array(added) == [
            Entry(customer: "C-1", purpose: "recognition", granted: false, version: "v1", changedAt: "2026-02-01T08:00:00.000Z"),
            Entry(customer: "C-1", purpose: "marketing", granted: true, version: "v1", changedAt: "2026-02-01T08:00:00.000Z"),
        ])
        let ada = try consent(scratch, "C-1")
        #expect(ada[.recognition] == ConsentState(granted: false, at: nil, version: "v1"))
        #expect(ada[.profiling] == ConsentState(granted: true, at: "2026-01-01T08:00:00.000Z", version: "v1"))
        #expect(ada[.marketing] == ConsentState(granted: true, at: "2026-02-01T08:00:00.000Z", version: "v1"))
        #expect(try consent(scratch, "C-2")[.recognition] == ConsentState(granted: true, at: "2026-01-01T08:00:00.000Z", version: "v1"))
        // The matcher sees the withdrawal.
        #expect(try scratch.database.loadMasterData().customers.first { $0.customerID == "C-1" }?.recognitionConsent == false)
    }

    @Test func anotherWordingIsAChangeAndNoVersionKeepsTheStoredOne() throws {
        let scratch = try Scratch()
        let first = try scratch.file("first.csv", header + "C-1,yes,yes,yes,v1,2026-01-01T08:00:00Z\n")
        _ = try scratch.importer.importCustomers(file: first, tokenizer: scratch.tokenizer)
        // The same answers under new wording: agreed anew, as `recordConsent` treats it.
        let renewed = try scratch.file("renewed.csv", header + "C-1,yes,yes,yes,v2,2026-03-01T08:00:00Z\n")
        _ = try scratch.importer.importCustomers(file: renewed, tokenizer: scratch.tokenizer)
        #expect(try history(scratch).count == 6)
        #expect(try consent(scratch, "C-1")[.marketing] == ConsentState(granted: true, at: "2026-03-01T08:00:00.000Z", version: "v2"))
        // A file that names no version says nothing about the wording: the standing consent stays.
        let plain = try scratch.file("plain.csv", "customer_id,recognition_consent,marketing_consent\nC-1,yes,yes\n")
        _ = try scratch.importer.importCustomers(file: plain, tokenizer: scratch.tokenizer)
        #expect(try history(scratch).count == 6)
        #expect(try consent(scratch, "C-1")[.marketing] == ConsentState(granted: true, at: "2026-03-01T08:00:00.000Z", version: "v2"))
    }

    @Test func aBadConsentTimeRejectsItsLineByLineAndColumn() throws {
        let scratch = try Scratch()
        let file = try scratch.file("customers.csv", header + """
            C-1,yes,,yes,v1,2026-05-01T09:00:00Z
            C-2,yes,,yes,v1,2026-13-01T09:00:00Z
            C-3,yes,,no,v1,yesterday
            C-4,no,,no,v1,
            """)
        let summary = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        #expect(summary.imported == 2)
        #expect(summary.rejected == 2)
        #expect(summary.errors == [
            "\(file):3: column 'consent_at': '2026-13-01T09:00:00Z' is not an RFC 3339 time (such as 2026-03-01T17:30:00Z)",
            "\(file):4: column 'consent_at': 'yesterday' is not an RFC 3339 time (such as 2026-03-01T17:30:00Z)",
        ])
        #expect(try scratch.database.loadMasterData().customers.map(\.customerID) == ["C-1", "C-4"])
        #expect(try Set(history(scratch).map(\.customer)) == ["C-1", "C-4"])
    }
}
