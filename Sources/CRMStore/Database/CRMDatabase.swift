import Foundation
import GRDB
import Logging

/// The CRM store's SQLite database: one file in WAL mode, migrated on open.
///
/// WAL lets the dashboard and the matcher's master-data loads read while the event writer commits,
/// and lets a separate `gateway import` process write the same file. All writes in this process go
/// through the pool's single writer connection, so they never contend with each other.
public final class CRMDatabase: Sendable {
    /// The database file, as given.
    public let path: String
    /// The GRDB pool, for queries this module does not offer; prefer the module's own methods.
    public let pool: DatabasePool
    let logger: Logger

    /// Opens (or creates) the database at `path`, creating its folder, and brings the schema up to date.
    ///
    /// - Throws: ``CRMStoreError/Code/open`` when the file cannot be opened or created,
    ///   ``CRMStoreError/Code/migration`` when the schema cannot be migrated or was written by a newer gateway.
    public init(path: String, logger: Logger) throws(CRMStoreError) {
        self.path = path
        self.logger = logger
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw CRMStoreError(.open, "cannot create the folder of CRM database \(path): \(error.localizedDescription)")
            }
        }
        var configuration = Configuration()
        configuration.label = "CRMStore"
        configuration.foreignKeysEnabled = true
        // Another process (an import, a central store's maintenance) may hold the write lock for a
        // while; waiting is better than failing a batch of events that would only be retried.
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // In WAL mode NORMAL still never corrupts and never splits a transaction; a power cut may
            // lose the last commits, rows and bus cursor together, and the journal replays them.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Deleted rows are overwritten with zeros, not left in free pages: an erasure or a
            // retention purge must not leave the data readable in the file. Deletes are rare.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw CRMStoreError(.open, "cannot open CRM database \(path)", wrapping: error)
        }
        try migrate()
    }

    private func migrate() throws(CRMStoreError) {
        let migrator = Schema.migrator
        do {
            let (superseded, pending) = try pool.read { db in
                (try migrator.hasBeenSuperseded(db), Set(migrator.migrations).subtracting(try migrator.appliedIdentifiers(db)))
            }
            if superseded {
                throw CRMStoreError(.migration, "CRM database \(path) was written by a newer gateway; this one cannot use it")
            }
            try migrator.migrate(pool)
            if !pending.isEmpty {
                logger.info("CRM database migrated", metadata: ["path": "\(path)", "migrations": "\(pending.sorted())"])
            }
        } catch {
            throw CRMStoreError(.migration, "cannot migrate CRM database \(path)", wrapping: error)
        }
        logger.debug("CRM database open", metadata: ["path": "\(path)"])
    }

    /// The master-data revision: it grows on every change to customers, credentials or products,
    /// whichever process made it. The matcher polls it to know when to reload.
    public func masterRevision() throws(CRMStoreError) -> Int64 {
        try reading("read the master-data revision") { db in
            try Int64.fetchOne(db, sql: "SELECT revision FROM master_revision WHERE id = 1") ?? 0
        }
    }

    /// Closes the pool's connections; later calls fail. Deinit closes them too.
    public func close() throws(CRMStoreError) {
        do {
            try pool.close()
        } catch {
            throw CRMStoreError(.open, "cannot close CRM database \(path)", wrapping: error)
        }
    }

    /// Runs `body` in a read transaction, naming `operation` and the file in any error.
    func reading<T>(_ operation: String, _ body: (Database) throws -> T) throws(CRMStoreError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw CRMStoreError(.query, "cannot \(operation) in \(path)", wrapping: error)
        }
    }

    /// Runs `body` in one write transaction, naming `operation` and the file in any error.
    func writing<T>(_ operation: String, code: CRMStoreError.Code = .write, _ body: (Database) throws -> T) throws(CRMStoreError) -> T {
        do {
            return try pool.write(body)
        } catch {
            throw CRMStoreError(code, "cannot \(operation) in \(path)", wrapping: error)
        }
    }
}
