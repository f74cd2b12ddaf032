import Foundation
import GRDB
import Testing

@testable import CRMStore

@Suite struct SchemaTests {
    @Test func migrationsCreateTheSchema() throws {
        let scratch = try Scratch()
        let tables = try scratch.database.pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'grdb_%' AND name NOT LIKE 'sqlite_%'")
        }
        #expect(Set(tables) == [
            "customers", "credentials", "products", "visits", "presence", "transactions", "transaction_lines", "tenders",
            "reader_status", "bus_cursor", "master_revision", "staff_users", "segmentation_runs", "customer_segments", "tier_history",
            "segment_outbox", "consent_history", "erasure_outbox",
        ])
        let triggers = try scratch.database.pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        #expect(triggers.count == 9)
        let journalMode = try scratch.database.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journalMode == "wal")
        #expect(try scratch.database.masterRevision() == 0)
        #expect(FileManager.default.fileExists(atPath: "\(scratch.folder)/data/crm.sqlite"))
    }

    @Test func reopeningKeepsDataAndDoesNotMigrateAgain() throws {
        let scratch = try Scratch()
        let file = try scratch.file("p.csv", "gtin,name,price,currency\n4006381333931,Pencil,1.10,EUR\n")
        _ = try scratch.importer.importProducts(file: file)
        let again = try CRMDatabase(path: scratch.database.path, logger: scratch.logger)
        #expect(try again.productCount() == 1)
        try again.close()
    }

    @Test func aDatabaseFromANewerGatewayIsRefused() throws {
        let scratch = try Scratch()
        try scratch.database.pool.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
        }
        #expect {
            _ = try CRMDatabase(path: scratch.database.path, logger: scratch.logger)
        } throws: { error in
            (error as? CRMStoreError)?.code == .migration && "\(error)".contains("newer gateway")
        }
    }

    @Test func anUnopenablePathIsAnOpenError() throws {
        let scratch = try Scratch()
        let blocker = try scratch.file("not-a-folder", "x")
        #expect {
            _ = try CRMDatabase(path: "\(blocker)/crm.sqlite", logger: scratch.logger)
        } throws: { error in
            (error as? CRMStoreError)?.code == .open && "\(error)".contains(blocker)
        }
    }
}
