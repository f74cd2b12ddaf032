import Foundation
import GRDB
import GatewayCore
import Testing

@testable import CRMStore

/// Consent per purpose and erasure, against a real SQLite file.
@Suite struct PrivacyStoreTests {
    /// Two customers with a tag and a card each.
    private func store() throws -> Scratch {
        let scratch = try Scratch()
        let customers = try scratch.file("customers.csv", """
            customer_id,first_name,last_name,email,tier,credentials,recognition_consent
            C-1,Ada,Lovelace,ada@example.com,vip,300833B2DDD9014000000001;8600123401,yes
            C-2,Grace,Hopper,,regular,300833B2DDD9014000000002,yes
            """)
        _ = try scratch.importer.importCustomers(file: customers, tokenizer: scratch.tokenizer)
        return scratch
    }

    private func count(_ scratch: Scratch, _ sql: String, _ arguments: StatementArguments = []) throws -> Int {
        try scratch.database.pool.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? -1 }
    }

    @Test func eachPurposeIsRecordedOnItsOwnWithVersionTimeAndHistory() throws {
        let scratch = try store()
        let before = try scratch.database.masterRevision()
        let time = Timestamp(rfc3339: "2026-05-01T09:00:00.000Z")!
        let state = try scratch.database.recordConsent(customerID: "C-1", [
            ConsentDecision(purpose: .recognition, granted: false, version: "2026-05"),
            ConsentDecision(purpose: .marketing, granted: true, version: "2026-05"),
        ], source: "cli", at: time)
        #expect(state[.recognition] == ConsentState(granted: false, at: nil, version: "2026-05"))
        #expect(state[.marketing] == ConsentState(granted: true, at: "2026-05-01T09:00:00.000Z", version: "2026-05"))
        // Untouched: profiling keeps the opt-out default.
        #expect(state[.profiling]?.granted == true)
        #expect(try scratch.database.consent(customerID: "C-2")?[.recognition]?.granted == true)
        // The matcher sees the withdrawal through the revision and the snapshot.
        #expect(try scratch.database.masterRevision() > before)
        let master = try scratch.database.loadMasterData()
        #expect(master.customers.first { $0.customerID == "C-1" }?.recognitionConsent == false)
        #expect(master.customers.first { $0.customerID == "C-2" }?.recognitionConsent == true)
        #expect(try count(scratch, "SELECT count(*) FROM consent_history WHERE customer_id = 'C-1' AND source = 'cli'") == 2)
    }

    @Test func aStandingConsentKeepsItsTimeUntilTheWordingChanges() throws {
        let scratch = try store()
        let first = Timestamp(rfc3339: "2026-05-01T09:00:00.000Z")!
        let later = Timestamp(rfc3339: "2026-06-01T09:00:00.000Z")!
        try scratch.database.recordConsent(customerID: "C-2", [ConsentDecision(purpose: .marketing, granted: true, version: "v1")],
                                           source: "cli", at: first)
        let again = try scratch.database.recordConsent(customerID: "C-2", [ConsentDecision(purpose: .marketing, granted: true, version: "v1")],
                                                       source: "cli", at: later)
        #expect(again[.marketing]?.at == first.rfc3339)
        let renewed = try scratch.database.recordConsent(customerID: "C-2", [ConsentDecision(purpose: .marketing, granted: true, version: "v2")],
                                                         source: "cli", at: later)
        #expect(renewed[.marketing] == ConsentState(granted: true, at: later.rfc3339, version: "v2"))
        #expect(try count(scratch, "SELECT count(*) FROM consent_history WHERE customer_id = 'C-2' AND source = 'cli'") == 3)
    }

    @Test func consentForAnUnknownCustomerIsRefusedByName() throws {
        let scratch = try store()
        #expect(try scratch.database.consent(customerID: "C-404") == nil)
        #expect {
            try scratch.database.recordConsent(customerID: "C-404", [ConsentDecision(purpose: .recognition, granted: true)], source: "cli")
        } throws: { error in
            (error as? CRMStoreError)?.code == .notFound && "\(error)".contains("C-404")
        }
        #expect(try count(scratch, "SELECT count(*) FROM consent_history WHERE source = 'cli'") == 0)
    }

    /// Visits, presence and a sale for both customers, as the bus would have written them.
    private func history(_ scratch: Scratch) throws -> (ada: String, grace: String) {
        let ada = scratch.tokenizer.token(for: "C-1")
        let grace = scratch.tokenizer.token(for: "C-2")
        var events: [GatewayEvent] = []
        var seq: UInt64 = 0
        for (token, name) in [(ada, "Ada"), (grace, "Grace")] {
            let visit = "v-\(name)"
            let payloads: [EventPayload] = [
                .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: token, visit: visit)),
                .customerArrival(Arrival(token: token, visit: visit, zone: "entrance", reader: "door", firstName: name, tier: "regular")),
                .posTransaction(Events.sale(key: "\(name)-1", token: token)),
            ]
            for payload in payloads {
                seq += 1
                events.append(Events.event(seq, payload))
            }
        }
        _ = try scratch.writer.apply(events)
        try scratch.database.recordConsent(customerID: "C-1", [ConsentDecision(purpose: .marketing, granted: true)], source: "cli")
        try scratch.database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO customer_segments (customer_id, segment, as_of) VALUES ('C-1', 'champions', '2026-03-01');
                INSERT INTO tier_history (customer_id, from_tier, to_tier, reason, changed_at, as_of) VALUES ('C-1', 'regular', 'vip', 'spend', '2026-03-01', '2026-03-01');
                """)
        }
        return (ada, grace)
    }

    @Test func erasureDeletesIdentityAndMovementsKeepsAnonymousSalesAndQueuesTheTombstone() throws {
        let scratch = try store()
        let (ada, grace) = try history(scratch)
        let revenue = try scratch.database.transactions().reduce(Decimal(0)) { $0 + $1.total }

        let report = try scratch.database.erase(customerID: "C-1")
        // History: the import's recognition and the CLI's marketing.
        #expect(report == ErasureReport(token: ada, credentials: 2, presence: 1, visits: 1, transactions: 1, consentHistory: 2, segmentation: 2))

        #expect(try count(scratch, "SELECT count(*) FROM customers WHERE customer_id = 'C-1'") == 0)
        #expect(try count(scratch, "SELECT count(*) FROM credentials WHERE customer_id = 'C-1'") == 0)
        for table in ["presence", "visits", "transactions", "segment_outbox"] {
            #expect(try count(scratch, "SELECT count(*) FROM \(table) WHERE token = ?", [ada]) == 0, "\(table)")
        }
        for table in ["customer_segments", "tier_history", "consent_history"] {
            #expect(try count(scratch, "SELECT count(*) FROM \(table) WHERE customer_id = 'C-1'") == 0, "\(table)")
        }
        // Footfall and accounting are unchanged; the sale is simply nobody's now.
        #expect(try scratch.database.visitCount() == 2)
        #expect(try scratch.database.transactions().reduce(Decimal(0)) { $0 + $1.total } == revenue)
        #expect(try scratch.database.transactions().filter { $0.token == nil }.count == 1)
        // The other customer is untouched.
        #expect(try count(scratch, "SELECT count(*) FROM credentials WHERE customer_id = 'C-2'") == 1)
        #expect(try count(scratch, "SELECT count(*) FROM presence WHERE token = ?", [grace]) == 1)
        #expect(try scratch.database.transactions().filter { $0.token == grace }.count == 1)
        // The tombstone carries the token and nothing else about the person.
        let queued = try scratch.database.erasureOutbox.waiting()
        #expect(queued.map(\.token) == [ada])
        #expect(queued.first?.event == .customerErased(CustomerErased(token: ada, change: queued.first?.changeID)))
        let row = try scratch.database.pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM erasure_outbox") }
        #expect(row.map { Set($0.columnNames) } == ["id", "change_id", "token", "requested_at", "announced_at", "announced_after", "published_seq"])
    }

    @Test func erasingAnUnknownCustomerChangesNothingAndQueuesNothing() throws {
        let scratch = try store()
        _ = try history(scratch)
        #expect {
            try scratch.database.erase(customerID: "C-404")
        } throws: { error in
            (error as? CRMStoreError)?.code == .notFound && "\(error)".contains("C-404")
        }
        #expect(try scratch.database.erasureOutbox.pendingCount() == 0)
        #expect(try scratch.database.customerCount() == 2)
    }

    @Test func aSecondStoreHonoursTheTombstoneFromTheBus() throws {
        // The central store of a chain learnt the same customer and history from the bus and its own import.
        let central = try store()
        let (ada, _) = try history(central)
        _ = try central.writer.apply([Events.event(100, .customerErased(CustomerErased(token: ada, change: "c-1")))])
        #expect(try count(central, "SELECT count(*) FROM customers WHERE token = ?", [ada]) == 0)
        #expect(try count(central, "SELECT count(*) FROM credentials WHERE customer_id = 'C-1'") == 0)
        #expect(try count(central, "SELECT count(*) FROM consent_history WHERE customer_id = 'C-1'") == 0)
        #expect(try count(central, "SELECT count(*) FROM customer_segments WHERE customer_id = 'C-1'") == 0)
        #expect(try count(central, "SELECT count(*) FROM presence WHERE token = ?", [ada]) == 0)
        #expect(try central.database.transactions().filter { $0.token == ada }.isEmpty)
        #expect(try central.database.transactionCount() == 2)
        // A subscriber never queues a tombstone of its own: only the erasing store publishes.
        #expect(try central.database.erasureOutbox.pendingCount() == 0)
    }

    @Test func anErasedCustomerIsNotBroughtBackByTheNextImport() throws {
        let scratch = try store()
        try scratch.database.erase(customerID: "C-1")
        let again = try scratch.file("again.csv", """
            customer_id,first_name,last_name,email,tier,credentials,recognition_consent
            C-1,Ada,Lovelace,ada@example.com,vip,300833B2DDD9014000000001,yes
            C-2,Grace,Hopper,,regular,300833B2DDD9014000000002,yes
            C-3,Ada,Lovelace,ada@example.com,vip,300833B2DDD9014000000001,yes
            """)
        let summary = try scratch.importer.importCustomers(file: again, tokenizer: scratch.tokenizer)
        #expect(summary.rejected == 1 && summary.updated == 1 && summary.imported == 2)
        #expect(summary.errors.count == 1)
        #expect(summary.errors.first?.contains("again.csv:2:") == true && summary.errors.first?.contains("'C-1' was erased on") == true)
        #expect(try count(scratch, "SELECT count(*) FROM customers WHERE customer_id = 'C-1'") == 0)
        // Joining again under a new id is a new customer, with a token nothing else knows.
        #expect(try count(scratch, "SELECT count(*) FROM customers WHERE customer_id = 'C-3'") == 1)
    }

    @Test func anErasedCustomerIsNotBroughtBackByAPurchaseHistory() throws {
        let scratch = try store()
        try scratch.database.erase(customerID: "C-1")
        let history = try scratch.file("history.csv", """
            customer_id,date,amount,receipt
            C-1,2026-03-01,10.00,R-1
            C-2,2026-03-01,20.00,R-2
            C-1,2026-03-02,30.00,R-3
            """)
        let summary = try scratch.importer.importTransactions(file: history, tokenizer: scratch.tokenizer)
        #expect(summary.rejected == 2 && summary.imported == 1)
        #expect(summary.errors.allSatisfy { $0.contains("'C-1' was erased on") })
        #expect(try count(scratch, "SELECT count(*) FROM customers WHERE customer_id = 'C-1'") == 0)
        #expect(try count(scratch, "SELECT count(*) FROM transactions WHERE source = 'import'") == 1)
    }
}
