import Foundation
import GRDB

/// What a re-tokenisation changed (``CRMDatabase/rotateTokens(_:formerTokens:)``).
public struct TokenRotationReport: Sendable, Equatable {
    /// Customers whose token changed.
    public var customers: Int
    /// Customers that already carried their new token: a rotation resumed after its commit, or a sweep.
    public var customersUnchanged: Int
    /// Rows whose token was rewritten, by table, for every table other than `customers` with a `token`
    /// column (tables with nothing to rewrite are listed with 0).
    public var rows: [String: Int]

    /// Creates a report.
    public init(customers: Int, customersUnchanged: Int, rows: [String: Int]) {
        self.customers = customers
        self.customersUnchanged = customersUnchanged
        self.rows = rows
    }

    /// All rewritten rows outside `customers`.
    public var rowCount: Int { rows.values.reduce(0, +) }
}

extension CRMDatabase {
    /// Gives every customer the token `newToken` computes from their customer id, and rewrites the
    /// old token wherever else it is stored, all in one transaction.
    ///
    /// The old → new mapping is made from `customers` alone: for each customer, their stored token and
    /// the token each of `formerTokens` computes for them map to their new token. Every other table with
    /// a `token` column is found in the schema (so tables added later are covered) and rewritten through
    /// that mapping, except the erasure outbox (``tombstoneTables``). A token that names no current
    /// customer — an erased customer's, another gateway's in a shared table — is not in the mapping and
    /// stays as it is: it names someone this store no longer knows, and subscribers that got it must
    /// still be able to match it.
    ///
    /// Running it again with the same `newToken` changes no customer, and rewrites only rows still
    /// carrying a former token (events that were in flight during the rotation, an import that ran with
    /// the old key): a rotation interrupted after its commit can simply be run again.
    ///
    /// The transaction is committed with `synchronous = FULL`: the caller replaces the key file right
    /// after, and a power cut must not be able to take back a commit that the key file already relies on.
    /// The master-data revision moves once (when a customer changed), so a running matcher reloads the
    /// customers with their new tokens within its poll interval. It holds the write lock for its duration:
    /// the embedded store's batches wait, and retry if they time out.
    ///
    /// - Parameters:
    ///   - newToken: the token of a customer id under the new key.
    ///   - formerTokens: the token functions of keys whose tokens may still be stored for a current customer.
    /// - Throws: ``CRMStoreError/Code/write`` when the rows cannot be rewritten; nothing is then changed.
    public func rotateTokens(_ newToken: (String) -> String, formerTokens: [(String) -> String] = []) throws(CRMStoreError) -> TokenRotationReport {
        let started = ContinuousClock.now
        let report: TokenRotationReport
        do {
            report = try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                // The connection is the pool's writer, shared by everything else this process writes.
                defer { try? db.execute(sql: "PRAGMA synchronous = NORMAL") }
                var report = TokenRotationReport(customers: 0, customersUnchanged: 0, rows: [:])
                try db.inTransaction(.immediate) {
                    report = try Self.rotate(db, newToken: newToken, formerTokens: formerTokens)
                    return .commit
                }
                try Self.dropScratchTables(db)
                return report
            }
        } catch {
            throw CRMStoreError(.write, "cannot re-tokenise customers in \(path)", wrapping: error)
        }
        // The write-ahead log still holds the pages as they were, customer ids beside their old tokens;
        // once `KEY.previous` is deleted nothing else on the box links the two. Best effort: a reader in
        // another process can hold the log, which is then emptied at a later checkpoint.
        truncateWriteAheadLog(after: "the token rotation")
        logger.info("customer tokens rotated", metadata: [
            "path": "\(path)", "customers": "\(report.customers)", "unchanged": "\(report.customersUnchanged)",
            "rows": "\(report.rowCount)", "took": "\(ContinuousClock.now - started)",
        ])
        return report
    }

    /// Tables whose tokens are never rewritten: a `customer.erased` tombstone must name the token the
    /// subscribers stored the customer's data under, even if the same customer id was registered again
    /// since (and so has a token in `customers`).
    static let tombstoneTables: Set<String> = ["erasure_outbox"]

    /// The tables other than `customers` with a `token` column, in name order, without ``tombstoneTables``.
    static func tokenTables(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: """
            SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c
            WHERE m.type = 'table' AND c.name = 'token' AND m.name <> 'customers' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
            ORDER BY m.name
            """).filter { !tombstoneTables.contains($0) }
    }

    private static func rotate(_ db: Database, newToken: (String) -> String, formerTokens: [(String) -> String]) throws -> TokenRotationReport {
        try dropScratchTables(db)
        // Temporary tables, not dictionaries: a million customers with two former keys would be three
        // million pairs of strings in memory, while SQLite keeps them in pages and joins them by index.
        try db.execute(sql: """
            CREATE TEMP TABLE token_rotation_map (old TEXT PRIMARY KEY NOT NULL, new TEXT NOT NULL) WITHOUT ROWID;
            CREATE TEMP TABLE token_rotation_customers (customer_id TEXT PRIMARY KEY NOT NULL, new TEXT NOT NULL) WITHOUT ROWID;
            """)
        let map = try db.makeStatement(sql: "INSERT OR IGNORE INTO temp.token_rotation_map (old, new) VALUES (?, ?)")
        let changed = try db.makeStatement(sql: "INSERT INTO temp.token_rotation_customers (customer_id, new) VALUES (?, ?)")
        var customers = 0
        var unchanged = 0
        let rows = try Row.fetchCursor(db, sql: "SELECT customer_id, token FROM customers")
        while let row = try rows.next() {
            let id: String = row[0]
            let stored: String = row[1]
            let new = newToken(id)
            if stored == new {
                unchanged += 1
            } else {
                customers += 1
                try changed.execute(arguments: [id, new])
                try map.execute(arguments: [stored, new])
            }
            for former in formerTokens {
                let old = former(id)
                if old != new { try map.execute(arguments: [old, new]) }
            }
        }

        // One revision bump for the whole change instead of one trigger run per customer.
        try Schema.beginBulkChange(db)
        try db.execute(sql: """
            UPDATE customers SET token = (SELECT c.new FROM temp.token_rotation_customers c WHERE c.customer_id = customers.customer_id)
            WHERE customer_id IN (SELECT customer_id FROM temp.token_rotation_customers)
            """)
        try Schema.endBulkChange(db, changed: customers > 0)

        var rewritten: [String: Int] = [:]
        for table in try tokenTables(db) {
            let quoted = table.quotedDatabaseIdentifier
            try db.execute(sql: """
                UPDATE \(quoted) SET token = (SELECT m.new FROM temp.token_rotation_map m WHERE m.old = \(quoted).token)
                WHERE token IN (SELECT old FROM temp.token_rotation_map)
                """)
            rewritten[table] = db.changesCount
        }
        return TokenRotationReport(customers: customers, customersUnchanged: unchanged, rows: rewritten)
    }

    private static func dropScratchTables(_ db: Database) throws {
        try db.execute(sql: """
            DROP TABLE IF EXISTS temp.token_rotation_map;
            DROP TABLE IF EXISTS temp.token_rotation_customers;
            """)
    }
}
