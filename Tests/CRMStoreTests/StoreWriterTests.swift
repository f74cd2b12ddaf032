import Foundation
import GRDB
import GatewayCore
import Testing

@testable import CRMStore

@Suite struct StoreWriterTests {
    private static let token = "0123456789abcdef0123456789abcdef"

    // The back-end contract (rows, exactly once, cursors, erasure, purge) is EventStoreContractTests,
    // run on SQLite and PostgreSQL; these are what only the SQLite store has: its typed queries and master data.

    @Test func typedQueriesReadBackWhatTheWriterWrote() throws {
        let scratch = try Scratch()
        let revision = try scratch.database.masterRevision()
        #expect(try scratch.writer.apply(Events.visitBatch(token: Self.token)) == 9)
        let database = scratch.database
        #expect(try database.presenceCount() == 4)
        #expect(try database.visitCount() == 1)
        #expect(try database.visits() == [StoredVisit(gateway: "gw-1", visitID: "v-1", token: Self.token,
                                                      startedAt: "2026-03-01T10:00:02.000Z", endedAt: "2026-03-01T10:00:08.000Z",
                                                      zone: "entrance")])
        let sale = try #require(try database.transactions().first)
        #expect(try database.transactionCount() == 1)
        #expect(sale.key == "S1/W2/2026-03-01/1001")
        #expect(sale.total == Decimal(string: "12.35")!)
        #expect(sale.tax == Decimal(string: "1.97")!)
        #expect(sale.token == Self.token)
        #expect(sale.lineCount == 2)
        #expect(sale.tenderCount == 1)
        #expect(sale.seq == 6)
        #expect(try database.readerStatuses() == [StoredReaderStatus(gateway: "gw-1", reader: "door", state: "dropping", message: "ring full",
                                                                      reads: 1_000, drops: 12, ts: "2026-03-01T10:00:09.000Z")])
        #expect(try database.masterRevision() == revision, "events are not master data: the matcher need not reload")
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
