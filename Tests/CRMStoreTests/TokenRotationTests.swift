import Foundation
import GRDB
import GatewayCore
import Logging
import Testing

@testable import CRMStore

/// `rotateTokens`: the store's tokens re-made with a new key, consistently and in one transaction.
@Suite struct TokenRotationTests {
    private static let newKey = CustomerTokenizer(keyBytes: Array(repeating: 0x17, count: 32))
    /// A token of nobody in this store: another gateway's customer, or one erased long ago.
    private static let stranger = "feedfacefeedfacefeedfacefeedface"

    /// Three customers (C-3 without recognition consent), their traffic under the old key, a pending
    /// segment change, then C-3 erased; a table of the kind a later migration might add, holding C-3's
    /// token and C-1's; and tombstones in the erasure outbox.
    private static func populatedStore() throws -> (scratch: Scratch, erased: String) {
        let scratch = try Scratch()
        let file = try scratch.file("c.csv", """
            customer_id,first_name,credentials,recognition_consent
            C-1,Ada,0001,yes
            C-2,Bob,0002,yes
            C-3,Cy,0003,no
            """)
        _ = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        let old = scratch.tokenizer
        let (one, two, three) = (old.token(for: "C-1"), old.token(for: "C-2"), old.token(for: "C-3"))
        try scratch.writer.apply([
            Events.event(1, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: one, visit: "v-1"))),
            Events.event(2, .customerArrival(Arrival(token: one, visit: "v-1", zone: "entrance", reader: "door", firstName: "Ada", tier: "regular"))),
            Events.event(3, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: two, visit: "v-2"))),
            Events.event(4, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: Self.stranger,
                                                    visit: "v-9"))),
            Events.event(5, .posTransaction(Events.sale(key: "1", token: one))),
            Events.event(6, .posTransaction(Events.sale(key: "2", token: two))),
            Events.event(7, .posTransaction(Events.sale(key: "3", token: three))),
            Events.event(8, .posTransaction(Events.sale(key: "4"))),
            Events.event(9, .presenceExit(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: one,
                                                   visit: "v-1", dwellMs: 60_000, visitEnd: true))),
        ])
        try scratch.database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO segment_outbox (change_id, customer_id, token, segment, tier, previous_tier, run_id, created_at)
                VALUES ('change-1', 'C-1', ?, 'champions', 'vip', 'regular', 'run-1', '2026-03-01T10:00:00.000Z')
                """, arguments: [one])
        }
        try scratch.writer.apply([Events.event(10, .customerErased(CustomerErased(token: three)))])
        try scratch.database.pool.write { db in
            try db.execute(sql: """
                CREATE TABLE test_token_outbox (id INTEGER PRIMARY KEY, token TEXT NOT NULL);
                INSERT INTO test_token_outbox (token) VALUES (?), (?);
                """, arguments: [three, one])
            // C-3's tombstone, and one for C-1 as if C-1 had been erased and then registered again.
            try db.execute(sql: """
                INSERT INTO erasure_outbox (change_id, token, requested_at) VALUES
                    ('erase-3', ?, '2026-03-01T11:00:00.000Z'), ('erase-1', ?, '2026-03-01T11:00:00.000Z')
                """, arguments: [three, one])
        }
        return (scratch, three)
    }

    /// Every non-NULL token the store keeps, by table.
    private static func storedTokens(_ database: CRMDatabase) throws -> [String: [String]] {
        try database.pool.read { db in
            var result: [String: [String]] = [:]
            for table in ["customers", "visits", "presence", "transactions", "segment_outbox", "test_token_outbox", "erasure_outbox"] {
                // customers is WITHOUT ROWID: its key is the customer id.
                let order = table == "customers" ? "customer_id" : "rowid"
                result[table] = try String.fetchAll(db, sql: "SELECT token FROM \(table) WHERE token IS NOT NULL ORDER BY \(order)")
            }
            return result
        }
    }

    @Test func everyTableIsRewrittenAndOnlyCustomersTokens() throws {
        let (scratch, erased) = try Self.populatedStore()
        let old = scratch.tokenizer
        let new = Self.newKey
        let before = try Self.storedTokens(scratch.database)

        let report = try scratch.database.rotateTokens(new.token(for:), formerTokens: [old.token(for:)])

        #expect(report.customers == 2)
        #expect(report.customersUnchanged == 0)
        #expect(report.rows["visits"] == 2)
        #expect(report.rows["presence"] == 3, "C-1's enter and exit, C-2's enter; the stranger's stays")
        #expect(report.rows["transactions"] == 2, "the erased customer's sale is anonymous already")
        #expect(report.rows["segment_outbox"] == 1)
        #expect(report.rows["test_token_outbox"] == 1, "a table added later is found by its token column")
        #expect(report.rows["erasure_outbox"] == nil, "tombstones are never rewritten")
        #expect(report.rowCount == 9)

        // Each old token of a current customer became that customer's new token, everywhere.
        let mapping = ["C-1", "C-2"].reduce(into: [String: String]()) { $0[old.token(for: $1)] = new.token(for: $1) }
        let after = try Self.storedTokens(scratch.database)
        for (table, tokens) in before where table != "erasure_outbox" {
            #expect(after[table] == tokens.map { mapping[$0] ?? $0 }, "\(table)")
        }
        #expect(after["erasure_outbox"] == before["erasure_outbox"], "a tombstone names the token subscribers know")
        #expect(after["presence"]?.contains(Self.stranger) == true)
        #expect(after["test_token_outbox"]?.first == erased, "the erased customer's token is not rewritten")
        let oldTokens = Set(mapping.keys)
        #expect(after.filter { $0.key != "erasure_outbox" }.values.allSatisfy { $0.allSatisfy { !oldTokens.contains($0) } })

        let synchronous = try scratch.database.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(synchronous == 1, "the writer is back to NORMAL after the durable commit")
    }

    @Test func recognitionKeepsWorkingWithTheNewTokens() throws {
        let (scratch, _) = try Self.populatedStore()
        let before = try scratch.database.loadMasterData()
        _ = try scratch.database.rotateTokens(Self.newKey.token(for:))

        // The matcher reloads when the revision moves, and then sees what the new key computes.
        let master = try scratch.database.loadMasterData()
        #expect(master.revision > before.revision)
        #expect(master.revision == before.revision + 1, "one bump for the whole rotation")
        #expect(master.customers.map(\.customerID) == ["C-1", "C-2"])
        for customer in master.customers {
            #expect(customer.token == Self.newKey.token(for: customer.customerID))
        }
        #expect(master.customers.map(\.credentials) == before.customers.map(\.credentials))
        #expect(master.customers.map(\.tier) == before.customers.map(\.tier))

        // Events with the new tokens land on the customer: a segment change, and an erasure.
        let token = Self.newKey.token(for: "C-2")
        try scratch.writer.apply([Events.event(20, .customerSegment(CustomerSegment(token: token, segment: "loyal", tier: "gold",
                                                                                     previousTier: "regular", change: "bus-1")))])
        #expect(try scratch.database.loadMasterData().customers.first { $0.customerID == "C-2" }?.tier == "gold")
        try scratch.writer.apply([Events.event(21, .customerErased(CustomerErased(token: token)))])
        #expect(try scratch.database.loadMasterData().customers.map(\.customerID) == ["C-1"])
        #expect(try scratch.database.visits().contains { $0.visitID == "v-2" && $0.token == nil })
    }

    @Test func runningItAgainChangesNothing() throws {
        let (scratch, _) = try Self.populatedStore()
        let old = scratch.tokenizer
        let first = try scratch.database.rotateTokens(Self.newKey.token(for:), formerTokens: [old.token(for:)])
        let revision = try scratch.database.masterRevision()
        let tokens = try Self.storedTokens(scratch.database)

        // As a rotation resumed after its commit runs it.
        let again = try scratch.database.rotateTokens(Self.newKey.token(for:), formerTokens: [old.token(for:)])
        #expect(first.customers == 2)
        #expect(again == TokenRotationReport(customers: 0, customersUnchanged: 2, rows: again.rows))
        #expect(again.rowCount == 0)
        #expect(try scratch.database.masterRevision() == revision, "no reload for nothing")
        #expect(try Self.storedTokens(scratch.database) == tokens)
    }

    @Test func rowsWrittenWithTheOldKeyAfterTheRotationAreSwept() throws {
        let (scratch, _) = try Self.populatedStore()
        let old = scratch.tokenizer
        _ = try scratch.database.rotateTokens(Self.newKey.token(for:), formerTokens: [old.token(for:)])
        // An event published before the matcher reloaded, applied after the commit.
        try scratch.writer.apply([
            Events.event(30, .presenceEnter(Presence(zone: "floor", reader: "floor-1", antenna: 1, subject: .customer,
                                                     token: old.token(for: "C-1"), visit: "v-3"))),
        ])
        let sweep = try scratch.database.rotateTokens(Self.newKey.token(for:), formerTokens: [old.token(for:)])
        #expect(sweep.customers == 0)
        #expect(sweep.rows["presence"] == 1)
        #expect(sweep.rows["visits"] == 1)
        let stale = try scratch.database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM presence WHERE token = ?", arguments: [old.token(for: "C-1")])
        }
        #expect(stale == 0)
    }

    @Test func aCustomerWhoseTokenDidNotMatchTheKeyIsRepaired() throws {
        let (scratch, _) = try Self.populatedStore()
        let odd = "0123456789abcdef0123456789abcdef"
        // As an import run with a stale key leaves it.
        try scratch.database.pool.write { db in
            try db.execute(sql: "UPDATE customers SET token = ? WHERE customer_id = 'C-2'", arguments: [odd])
            try db.execute(sql: "UPDATE presence SET token = ? WHERE token = ?", arguments: [odd, scratch.tokenizer.token(for: "C-2")])
        }
        let report = try scratch.database.rotateTokens(Self.newKey.token(for:))
        #expect(report.customers == 2)
        let count = try scratch.database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM presence WHERE token = ?", arguments: [Self.newKey.token(for: "C-2")])
        }
        #expect(count == 1, "the stored token, whatever key made it, maps to the new one")
    }

    @Test func aFailedRotationChangesNothing() throws {
        let (scratch, _) = try Self.populatedStore()
        let tokens = try Self.storedTokens(scratch.database)
        let revision = try scratch.database.masterRevision()
        // Every customer the same token: the UNIQUE constraint stops the transaction midway.
        #expect {
            try scratch.database.rotateTokens { _ in "00000000000000000000000000000000" }
        } throws: { error in
            (error as? CRMStoreError)?.code == .write && "\(error)".contains(scratch.database.path)
        }
        #expect(try Self.storedTokens(scratch.database) == tokens)
        #expect(try scratch.database.masterRevision() == revision)
        // And the next attempt starts clean.
        #expect(try scratch.database.rotateTokens(Self.newKey.token(for:)).customers == 2)
    }

    @Test func theKeyFilesAndTheStoreResumeTogetherAfterACrash() throws {
        let (scratch, _) = try Self.populatedStore()
        let keyFile = "\(scratch.folder)/token.key"
        try CustomerTokenizer.write(keyBytes: Array(repeating: 0x42, count: 32), to: keyFile)  // the key the store was made with
        let rotation = try TokenKeyRotation(keyFile: keyFile, environment: [:], logger: scratch.logger)

        // First run: the new key is written and the store committed, then the process dies before the rename.
        let keys = try rotation.prepare()
        let committed = try scratch.database.rotateTokens(keys.new.token(for:), formerTokens: keys.former.map { $0.token(for:) })
        #expect(committed.customers == 2)

        // Second run: it finds token.key.new, the store already matches it, and it finishes.
        let resumed = try rotation.prepare()
        #expect(resumed.resumed)
        let report = try scratch.database.rotateTokens(resumed.new.token(for:), formerTokens: resumed.former.map { $0.token(for:) })
        #expect(report.customers == 0)
        #expect(report.customersUnchanged == 2)
        try rotation.install()

        let installed = try CustomerTokenizer.read(keyFile: keyFile)
        for customer in try scratch.database.loadMasterData().customers {
            #expect(customer.token == installed.token(for: customer.customerID))
            #expect(customer.token == keys.new.token(for: customer.customerID))
        }
        let previous = try CustomerTokenizer.read(keyFile: rotation.previousKeyFile)
        #expect(previous.token(for: "C-1") == scratch.tokenizer.token(for: "C-1"))
    }
}
