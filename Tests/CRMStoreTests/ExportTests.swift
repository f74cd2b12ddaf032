import Foundation
import GRDB
import GatewayCore
import Testing

@testable import CRMStore

/// Two customers with rows in every table; the export of one holds all of its rows and none of the other's.
@Suite struct ExportTests {
    private final class Store {
        let scratch: Scratch
        let ada: String
        let bob: String

        init() throws {
            scratch = try Scratch()
            let file = try scratch.file("customers.csv", """
                customer_id,first_name,last_name,email,tier,credentials,recognition_consent
                C-1,Ada,,ada@example.com,vip,300833B2DDD9014000000001;0004512345,yes
                C-2,Bob,Stone,bob@example.com,regular,300833B2DDD9014000000002,yes
                """)
            let summary = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
            #expect(summary.imported == 2)
            ada = scratch.tokenizer.token(for: "C-1")
            bob = scratch.tokenizer.token(for: "C-2")
            try scratch.writer.apply(Self.visit(token: ada, visit: "v-ada", sale: "1001", from: 1)
                                     + Self.visit(token: bob, visit: "v-bob", sale: "2002", from: 10)
                                     // Someone anonymous walks through: theirs is no one's.
                                     + [Events.event(20, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .visitor)))])
            try scratch.database.pool.write { db in
                for (customer, segment) in [("C-1", "champions"), ("C-2", "hibernating")] {
                    try db.execute(sql: """
                        INSERT INTO customer_segments (customer_id, segment, r_score, frequency, monetary, p_alive, clv, tier, as_of, run_id)
                        VALUES (?, ?, 5, 7, '123.40', 0.93, 812.5, 'vip', '2026-03-01', 'run-1')
                        """, arguments: [customer, segment])
                    try db.execute(sql: """
                        INSERT INTO tier_history (customer_id, from_tier, to_tier, reason, changed_at, as_of, run_id)
                        VALUES (?, 'regular', 'vip', 'spend', '2026-03-01T02:00:00.000Z', '2026-03-01', 'run-1')
                        """, arguments: [customer])
                }
                let outbox: [(String, String, String, Int64?)] = [("change-ada-pending", "C-1", ada, nil),
                                                                 ("change-ada-published", "C-1", ada, 99),
                                                                 ("change-bob-pending", "C-2", bob, nil)]
                for (change, customer, token, published) in outbox {
                    try db.execute(sql: """
                        INSERT INTO segment_outbox (change_id, customer_id, token, segment, tier, previous_tier, run_id, created_at, published_seq)
                        VALUES (?, ?, ?, 'champions', 'vip', 'regular', 'run-1', '2026-03-01T02:00:00.000Z', ?)
                        """, arguments: [change, customer, token, published])
                }
            }
        }

        /// A visit with an arrival, an item seen on the floor, a sale and the exit, seqs from `first` on.
        static func visit(token: String, visit: String, sale: String, from first: UInt64) -> [GatewayEvent] {
            [
                Events.event(first, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: token, visit: visit))),
                Events.event(first + 1, .customerArrival(Arrival(token: token, visit: visit, zone: "entrance", reader: "door", firstName: "x", tier: "vip"))),
                Events.event(first + 2, .presenceEnter(Presence(zone: "floor", reader: "floor-1", antenna: 2, subject: .customer, token: token, visit: visit))),
                Events.event(first + 3, .posTransaction(Events.sale(key: sale, token: token))),
                Events.event(first + 4, .presenceExit(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: token,
                                                               visit: visit, dwellMs: 60_000, visitEnd: true))),
            ]
        }
    }

    @Test func theExportHoldsEveryRowOfTheCustomer() throws {
        let store = try Store()
        let export = try store.scratch.database.export(customerID: "C-1", at: Events.base)

        #expect(export.customerID == "C-1")
        #expect(export.exportedAt == "2026-03-01T10:00:00.000Z")
        // Every column of the customers row, typed as stored.
        let columns = try store.scratch.database.pool.read { db in try db.columns(in: "customers").map(\.name) }
        #expect(Set(export.customer.keys) == Set(columns))
        #expect(export.customer["customer_id"] == .text("C-1"))
        #expect(export.customer["first_name"] == .text("Ada"))
        #expect(export.customer["last_name"] == .null)
        #expect(export.customer["email"] == .text("ada@example.com"))
        #expect(export.customer["tier"] == .text("vip"))
        #expect(export.customer["recognition_consent"] == .integer(1))
        #expect(export.customer["token"] == .text(store.ada))

        #expect(export.credentials.map { $0["credential"] } == [.text("0004512345"), .text("300833B2DDD9014000000001")])
        #expect(export.credentials.map { $0["kind"] } == [.text("card"), .text("epc")])

        let segment = try #require(export.customerSegments.first)
        #expect(export.customerSegments.count == 1)
        #expect(segment["segment"] == .text("champions"))
        #expect(segment["r_score"] == .integer(5))
        #expect(segment["monetary"] == .text("123.40"), "money stays exact text")
        #expect(segment["clv"] == .real(812.5))
        #expect(segment["recency_days"] == .null)
        #expect(export.tierHistory.map { $0["to_tier"] } == [.text("vip")])
        #expect(export.tierHistory.allSatisfy { $0["customer_id"] == .text("C-1") })

        #expect(export.visits.count == 1)
        #expect(export.visits.first?["visit_id"] == .text("v-ada"))
        #expect(export.visits.first?["started_at"] == .text(Events.base.adding(milliseconds: 1_000).rfc3339))
        #expect(export.visits.first?["ended_at"] == .text(Events.base.adding(milliseconds: 5_000).rfc3339))
        #expect(export.presence.map { $0["seq"] } == [.integer(1), .integer(3), .integer(5)])
        #expect(export.presence.map { $0["kind"] } == [.text("enter"), .text("enter"), .text("exit")])
        #expect(export.presence.last?["dwell_ms"] == .integer(60_000))

        let sale = try #require(export.transactions.first)
        #expect(export.transactions.count == 1)
        #expect(sale.row["tx_key"] == .text("S1/W2/2026-03-01/1001"))
        #expect(sale.row["token"] == .text(store.ada))
        #expect(sale.row["total"] == .text("12.35"))
        #expect(sale.lines.map { $0["line_number"] } == [.integer(1), .integer(2)])
        #expect(sale.lines.map { $0["quantity"] } == [.text("2"), .text("0.455")])
        #expect(sale.lines.first?["gtin"] == .text("04006381333931"))
        #expect(sale.lines.last?["gtin"] == .null)
        #expect(sale.tenders.map { $0["type"] } == [.text("Cash")])

        // Only what is still to be published: the published change is history, not a pending one.
        #expect(export.segmentOutbox.map { $0["change_id"] } == [.text("change-ada-pending")])
    }

    @Test func nothingOfAnotherCustomerOrAnAnonymousVisitorAppears() throws {
        let store = try Store()
        let export = try store.scratch.database.export(customerID: "C-1")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(export), as: UTF8.self)
        #expect(json.contains("S1/W2/2026-03-01/1001"), "the search below would find nothing")
        for foreign in [store.bob, "C-2", "Bob", "bob@example.com", "300833B2DDD9014000000002", "v-bob", "/2002", "hibernating", "change-bob"] {
            #expect(!json.contains(foreign), "the export of C-1 mentions \(foreign)")
        }
        #expect(!export.presence.contains { $0["subject"] == .text("visitor") })

        let other = try store.scratch.database.export(customerID: "C-2")
        #expect(other.visits.map { $0["visit_id"] } == [.text("v-bob")])
        #expect(other.transactions.map { $0.row["tx_key"] } == [.text("S1/W2/2026-03-01/2002")])
        #expect(other.credentials.map { $0["credential"] } == [.text("300833B2DDD9014000000002")])
    }

    @Test func columnsAndTablesAddedLaterAreExportedWithoutChangingTheExport() throws {
        let store = try Store()
        try store.scratch.database.pool.write { db in
            try db.execute(sql: """
                ALTER TABLE customers ADD COLUMN favourite_store TEXT;
                UPDATE customers SET favourite_store = 'S1' WHERE customer_id = 'C-1';
                CREATE TABLE loyalty_notes (id INTEGER PRIMARY KEY, customer_id TEXT NOT NULL, note TEXT, stars INTEGER);
                INSERT INTO loyalty_notes (customer_id, note, stars) VALUES ('C-1', 'likes pencils', 3), ('C-2', 'not hers', 1);
                CREATE TABLE token_log (token TEXT NOT NULL, at TEXT NOT NULL);
                INSERT INTO token_log VALUES ('\(store.ada)', '2026-03-01T11:00:00.000Z'), ('\(store.bob)', '2026-03-01T12:00:00.000Z');
                """)
        }
        let export = try store.scratch.database.export(customerID: "C-1")
        #expect(export.customer["favourite_store"] == .text("S1"))
        let notes = try #require(export.otherTables["loyalty_notes"])
        #expect(notes.count == 1)
        #expect(notes.first?["note"] == .text("likes pencils"))
        #expect(notes.first?["stars"] == .integer(3))
        #expect(export.otherTables["token_log"]?.map { $0["at"] } == [.text("2026-03-01T11:00:00.000Z")])
        for table in ["customers", "visits", "presence", "transactions", "transaction_lines", "tenders", "products", "staff_users"] {
            #expect(export.otherTables[table] == nil, "\(table) is read explicitly or holds no customer")
        }
    }

    @Test func theJSONKeepsTheStoredTypes() throws {
        let store = try Store()
        let export = try store.scratch.database.export(customerID: "C-1")
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(export)) as? [String: Any])
        #expect(Set(object.keys) == ["customer_id", "exported_at", "customer", "credentials", "customer_segments", "tier_history",
                                     "visits", "presence", "transactions", "segment_outbox", "other_tables"])
        let customer = try #require(object["customer"] as? [String: Any])
        #expect(customer["recognition_consent"] as? Int == 1)
        #expect(customer["first_name"] as? String == "Ada")
        #expect(customer["last_name"] is NSNull)
        let sale = try #require((object["transactions"] as? [[String: Any]])?.first)
        #expect(sale["seq"] as? Int == 4)
        #expect(sale["total"] as? String == "12.35")
        #expect((sale["lines"] as? [[String: Any]])?.count == 2)
        #expect((sale["tenders"] as? [[String: Any]])?.first?["amount"] as? String == "12.35")
    }

    @Test func anUnknownCustomerIsAnErrorNamingTheID() throws {
        let store = try Store()
        do throws(CRMStoreError) {
            _ = try store.scratch.database.export(customerID: "C-404")
            Issue.record("exported a customer that does not exist")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.message.contains("'C-404'"))
        }
    }
}
