import Foundation
import GRDB
import GatewayCore
import Testing

@testable import CRMStore

@Suite struct StoreWriterTests {
    private static let token = "0123456789abcdef0123456789abcdef"

    private static func visitBatch() -> [GatewayEvent] {
        [
            Events.event(1, .readerStatus(ReaderStatus(reader: "door", state: .connected, message: "up", reads: 0, drops: 0))),
            Events.event(2, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: token, visit: "v-1"))),
            Events.event(3, .vipArrival(Arrival(token: token, visit: "v-1", zone: "entrance", reader: "door", firstName: "Ada", tier: "vip"))),
            Events.event(4, .presenceEnter(Presence(zone: "floor", reader: "floor-1", antenna: 2, subject: .item,
                                                    epc: "urn:epc:id:sgtin:4006381.033393.1", gtin: "04006381333931", product: "Pencil"))),
            Events.event(5, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .visitor))),
            Events.event(6, .posTransaction(Events.sale(key: "1001", token: token))),
            Events.event(7, .basketLink(BasketLink(transaction: "S1/W2/2026-03-01/1001", zone: "checkout", matched: [], unmatched: []))),
            Events.event(8, .presenceExit(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: token,
                                                   visit: "v-1", dwellMs: 420_000, visitEnd: true))),
            Events.event(9, .readerStatus(ReaderStatus(reader: "door", state: .dropping, message: "ring full", reads: 1_000, drops: 12))),
        ]
    }

    @Test func eventsBecomeRows() throws {
        let scratch = try Scratch()
        let result = try scratch.writer.applyBatch(Self.visitBatch())
        #expect(result == StoreWriter.ApplyResult(applied: 9, skipped: 0, cursors: ["gw-1": 9]))
        let database = scratch.database
        #expect(try database.presenceCount() == 4)
        #expect(try database.visits() == [StoredVisit(gateway: "gw-1", visitID: "v-1", token: Self.token,
                                                      startedAt: "2026-03-01T10:00:02.000Z", endedAt: "2026-03-01T10:00:08.000Z",
                                                      zone: "entrance")])
        let sales = try database.transactions()
        #expect(sales.count == 1)
        let sale = try #require(sales.first)
        #expect(sale.key == "S1/W2/2026-03-01/1001")
        #expect(sale.total == Decimal(string: "12.35")!)
        #expect(sale.tax == Decimal(string: "1.97")!)
        #expect(sale.token == Self.token)
        #expect(sale.lineCount == 2)
        #expect(sale.tenderCount == 1)
        #expect(sale.seq == 6)
        let quantities = try database.pool.read { db in
            try String.fetchAll(db, sql: "SELECT quantity FROM transaction_lines ORDER BY line_number")
        }
        #expect(quantities == ["2", "0.455"], "quantities are exact decimal text")
        #expect(try database.readerStatuses() == [StoredReaderStatus(reader: "door", state: "dropping", message: "ring full",
                                                                      reads: 1_000, drops: 12, ts: "2026-03-01T10:00:09.000Z")])
        let dwell = try database.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT dwell_ms FROM presence WHERE kind = 'exit'")
        }
        #expect(dwell == 420_000)
    }

    @Test func applyingTheSameBatchTwiceChangesNothing() throws {
        let scratch = try Scratch()
        let batch = Self.visitBatch()
        #expect(try scratch.writer.apply(batch) == 9)
        let presence = try scratch.database.presenceCount()
        let revision = try scratch.database.masterRevision()

        let again = try scratch.writer.applyBatch(batch)
        #expect(again.applied == 0)
        #expect(again.skipped == 9)
        #expect(try scratch.writer.lastAppliedSeq(gateway: "gw-1") == 9)
        #expect(try scratch.database.presenceCount() == presence)
        #expect(try scratch.database.transactionCount() == 1)
        #expect(try scratch.database.visitCount() == 1)
        #expect(try scratch.database.masterRevision() == revision)

        // A replay that overlaps: only the new tail is applied.
        let tail = [Events.event(9, .basketLink(BasketLink(transaction: "x", zone: "checkout", matched: [], unmatched: []))),
                    Events.event(10, .presenceEnter(Presence(zone: "floor", reader: "floor-1", antenna: 1, subject: .visitor)))]
        #expect(try scratch.writer.applyBatch(tail) == StoreWriter.ApplyResult(applied: 1, skipped: 1, cursors: ["gw-1": 10]))
        #expect(try scratch.database.presenceCount() == presence + 1)
    }

    @Test func aResentSaleIsNotASecondSale() throws {
        let scratch = try Scratch()
        try scratch.writer.apply([Events.event(1, .posTransaction(Events.sale(key: "7")))])
        // The POS retried: same key, new seq, in a later batch and in the same batch.
        try scratch.writer.apply([Events.event(2, .posTransaction(Events.sale(key: "7"))),
                                  Events.event(3, .posTransaction(Events.sale(key: "8"))),
                                  Events.event(4, .posTransaction(Events.sale(key: "8")))])
        #expect(try scratch.database.transactionCount() == 2)
        #expect(try scratch.writer.lastAppliedSeq(gateway: "gw-1") == 4)
        let lines = try scratch.database.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM transaction_lines") }
        #expect(lines == 4)
    }

    @Test func eachGatewayHasItsOwnCursor() throws {
        let scratch = try Scratch()
        let status = EventPayload.readerStatus(ReaderStatus(reader: "r", state: .connected, message: nil, reads: 0, drops: 0))
        try scratch.writer.apply([Events.event(5, status, gateway: "gw-a"), Events.event(1, status, gateway: "gw-b"),
                                  Events.event(6, status, gateway: "gw-a")])
        #expect(try scratch.writer.cursors() == ["gw-a": 6, "gw-b": 1])
        #expect(try scratch.writer.lastAppliedSeq(gateway: "gw-c") == 0)
        let result = try scratch.writer.applyBatch([Events.event(6, status, gateway: "gw-a"), Events.event(2, status, gateway: "gw-b")])
        #expect(result == StoreWriter.ApplyResult(applied: 1, skipped: 1, cursors: ["gw-a": 6, "gw-b": 2]))
        #expect(try scratch.writer.apply([]) == 0)
    }

    @Test func visitStartAndArrivalMayComeInEitherOrder() throws {
        let scratch = try Scratch()
        // The arrival (seq 2, later ts) is written before an earlier enter of the same visit arrives in seq 3 with an older ts.
        var enter = Events.event(3, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer,
                                                            token: Self.token, visit: "v-9")))
        enter.ts = Events.base
        try scratch.writer.apply([
            Events.event(2, .customerArrival(Arrival(token: Self.token, visit: "v-9", zone: "lobby", reader: "door", firstName: "Ada", tier: "regular"))),
            enter,
        ])
        let visit = try #require(try scratch.database.visits().first)
        #expect(visit.startedAt == Events.base.rfc3339)
        #expect(visit.zone == "entrance")
        #expect(visit.endedAt == nil)
    }

    @Test func anErasedCustomerIsForgotten() throws {
        let scratch = try Scratch()
        let file = try scratch.file("c.csv", "customer_id,credentials,recognition_consent\nC-1,0001,yes\nC-2,0002,yes\n")
        _ = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        let token = scratch.tokenizer.token(for: "C-1")
        let other = scratch.tokenizer.token(for: "C-2")
        try scratch.writer.apply([
            Events.event(1, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: token, visit: "v-1"))),
            Events.event(2, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: other, visit: "v-2"))),
            Events.event(3, .posTransaction(Events.sale(key: "1", token: token))),
        ])
        let revision = try scratch.database.masterRevision()
        try scratch.writer.apply([Events.event(4, .customerErased(CustomerErased(token: token)))])

        let master = try scratch.database.loadMasterData()
        #expect(master.customers.map(\.customerID) == ["C-2"])
        #expect(master.revision > revision)
        let remaining = try scratch.database.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM credentials WHERE credential = '0001'"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM presence WHERE token = ?", arguments: [token]),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM presence"))
        }
        #expect(remaining.0 == 0)
        #expect(remaining.1 == 0)
        #expect(remaining.2 == 1)
        #expect(try scratch.database.visits().compactMap(\.token) == [other])
        #expect(try scratch.database.transactions().first?.token == nil)
        #expect(try scratch.database.transactionCount() == 1, "the sale stays, anonymous")
    }

    @Test func aFailedBatchWritesNothingAndKeepsTheCursor() throws {
        let scratch = try Scratch()
        try scratch.writer.apply([Events.event(1, .presenceEnter(Presence(zone: "z", reader: "r", antenna: 1, subject: .visitor)))])
        // Sabotage the table a later event needs, so the transaction fails midway.
        try scratch.database.pool.write { db in try db.execute(sql: "DROP TABLE reader_status") }
        let batch = [
            Events.event(2, .presenceEnter(Presence(zone: "z", reader: "r", antenna: 1, subject: .visitor))),
            Events.event(3, .readerStatus(ReaderStatus(reader: "r", state: .error, message: nil, reads: 0, drops: 0))),
        ]
        #expect {
            try scratch.writer.apply(batch)
        } throws: { error in
            (error as? CRMStoreError)?.code == .write && "\(error)".contains("apply 2 events") && "\(error)".contains(scratch.database.path)
        }
        #expect(try scratch.writer.lastAppliedSeq(gateway: "gw-1") == 1)
        #expect(try scratch.database.presenceCount() == 1)
    }
}

@Suite struct CRMConfigTests {
    @Test func defaults() {
        let config = CRMConfig()
        #expect(config.db == ".gateway/crm.sqlite")
        #expect(config.embedded)
        #expect(config.seed.customers == nil)
        #expect(config.batch.maxEvents == 500)
        #expect(config.batch.maxDelay == .milliseconds(50))
    }

    @Test func readsEveryKey() throws {
        let root = try ConfigMap.parse(yaml: """
            crm:
              db: /var/lib/gateway/crm.sqlite
              embedded: no
              seed:
                customers: seed/customers.csv
                products: seed/products.csv
              batch:
                maxEvents: 2_000
                maxDelay: 250ms
            """, source: "test.yaml")
        let config = try root.decode("crm", as: CRMConfig.self)
        #expect(config.db == "/var/lib/gateway/crm.sqlite")
        #expect(!config.embedded)
        #expect(config.seed.customers == "seed/customers.csv")
        #expect(config.seed.products == "seed/products.csv")
        #expect(config.batch.maxEvents == 2_000)
        #expect(config.batch.maxDelay == .milliseconds(250))
    }

    @Test func errorsNameTheKeyPath() throws {
        let typo = try ConfigMap.parse(yaml: "crm:\n  seed:\n    customer: c.csv\n", source: "test.yaml")
        #expect { _ = try typo.decode("crm", as: CRMConfig.self) } throws: { error in
            (error as? ConfigError)?.keyPath == "crm.seed.customer"
        }
        let zero = try ConfigMap.parse(yaml: "crm:\n  batch:\n    maxEvents: 0\n", source: "test.yaml")
        #expect { _ = try zero.decode("crm", as: CRMConfig.self) } throws: { error in
            (error as? ConfigError)?.keyPath == "crm.batch.maxEvents"
        }
    }
}
