import Foundation
import GatewayCore
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Writes bus events into a PostgreSQL store, exactly once per event: the chain's central store.
///
/// The same contract as ``StoreWriter``: a batch's rows and the cursors of its gateways commit in one
/// transaction, and an event at or below its gateway's cursor is skipped. The cursor rows are locked
/// for the transaction (`FOR UPDATE`), so two store processes fed by the same gateway cannot both
/// apply an event. Rows go in as multi-row INSERTs, a few statements per batch rather than one per event.
///
/// Owns a `PostgresClient`; run the writer in the service group (its ``run()`` runs the client),
/// before the services that write through it, so it stops after them. The schema is migrated on first
/// use. A server that is down or goes away makes calls fail with ``CRMStoreError``, naming the server,
/// after at most `connectTimeout`; the caller retries, and nothing was written.
public final class PostgresStoreWriter: CRMEventStore, Service {
    /// The server and database, without the password.
    public let location: String
    let client: PostgresClient
    let logger: Logger
    private let connectTimeout: Duration
    private let migrated = Mutex<Bool>(false)

    /// Creates a writer; nothing connects until ``run()`` runs and a call needs the server.
    ///
    /// - Parameter connectTimeout: how long a call waits for a connection before it fails.
    public init(location: PostgresLocation, logger: Logger, connectTimeout: Duration = .seconds(10)) {
        self.location = location.description
        self.logger = logger
        self.connectTimeout = connectTimeout
        let tls: PostgresClient.Configuration.TLS = switch location.tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: location.host, port: location.port, username: location.username,
                                                         password: location.password, database: location.database, tls: tls)
        // One writer connection does the ingest; a second lets a purge or a cursor read not queue behind it.
        configuration.options.maximumConnections = 2
        configuration.options.connectTimeout = connectTimeout
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// Runs the connection pool until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown { [client] in await client.run() }
    }

    /// Brings the schema up to date now rather than at the first batch.
    ///
    /// - Throws: ``CRMStoreError/Code/migration`` when the schema cannot be migrated or was written by a newer gateway.
    public func migrate() async throws(CRMStoreError) {
        if migrated.withLock({ $0 }) { return }
        let logger = self.logger
        let location = self.location
        let applied = try await leased("migrate the schema", code: .migration) { connection in
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))", logger: logger)
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version TEXT PRIMARY KEY,
                        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                    )
                    """, logger: logger)
                var done: Set<String> = []
                for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(String.self) {
                    done.insert(version)
                }
                let unknown = done.subtracting(PostgresSchema.migrations.map(\.id))
                guard unknown.isEmpty else {
                    throw CRMStoreError(.migration, "CRM database \(location) was migrated by a newer gateway (\(unknown.sorted().joined(separator: ", "))); this one cannot use it")
                }
                var applied: [String] = []
                for migration in PostgresSchema.migrations where !done.contains(migration.id) {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("INSERT INTO schema_migrations (version) VALUES (\(migration.id))", logger: logger)
                    applied.append(migration.id)
                }
                return applied
            }
        }
        migrated.withLock { $0 = true }
        if !applied.isEmpty {
            logger.info("CRM database migrated", metadata: ["database": "\(location)", "migrations": "\(applied)"])
        }
    }

    /// Applies `events` in one transaction and reports the counts and cursors, as ``StoreWriter/applyBatch(_:)``.
    ///
    /// Within a batch events are expected in seq order per gateway, as the bus delivers them.
    public func applyBatch(_ events: [GatewayEvent]) async throws(CRMStoreError) -> StoreWriter.ApplyResult {
        guard !events.isEmpty else { return StoreWriter.ApplyResult(applied: 0, skipped: 0, cursors: [:]) }
        try await migrate()
        let logger = self.logger
        let result = try await leased("apply \(events.count) events") { connection in
            try await connection.withTransaction(logger: logger) { connection in
                var batch = PostgresBatch(connection: connection, logger: logger)
                return try await batch.apply(events)
            }
        }
        if result.skipped > 0 {
            logger.debug("events already in the store were skipped", metadata: ["skipped": "\(result.skipped)"])
        }
        return result
    }

    /// The highest seq applied for every gateway the store has heard from.
    public func cursors() async throws(CRMStoreError) -> [String: UInt64] {
        try await migrate()
        let logger = self.logger
        return try await leased("read the bus cursors", code: .query) { connection in
            var cursors: [String: UInt64] = [:]
            let rows = try await connection.query("SELECT gateway, last_seq FROM bus_cursor WHERE last_seq > 0", logger: logger)
            for try await (gateway, seq) in rows.decode((String, Int64).self) {
                cursors[gateway] = UInt64(clamping: seq)
            }
            return cursors
        }
    }

    /// The highest seq applied for `gateway`; 0 when none was.
    public func lastAppliedSeq(gateway: String) async throws(CRMStoreError) -> UInt64 {
        try await migrate()
        let logger = self.logger
        return try await leased("read the bus cursor of \(gateway)", code: .query) { connection in
            let rows = try await connection.query("SELECT last_seq FROM bus_cursor WHERE gateway = \(gateway)", logger: logger)
            for try await seq in rows.decode(Int64.self) { return UInt64(clamping: seq) }
            return 0
        }
    }

    /// Deletes presence, visits and sales older than their cutoffs in one transaction, as
    /// ``CRMDatabase/purge(presenceBefore:visitsBefore:transactionsBefore:dryRun:)`` does on SQLite;
    /// lines and tenders go with their sale (`ON DELETE CASCADE`).
    public func purge(presenceBefore presence: Timestamp?, visitsBefore visits: Timestamp?,
                      transactionsBefore transactions: Timestamp?) async throws(CRMStoreError) -> PurgeReport {
        guard presence != nil || visits != nil || transactions != nil else { return PurgeReport() }
        try await migrate()
        let logger = self.logger
        let description = CRMDatabase.describe(presence: presence, visits: visits, transactions: transactions)
        return try await leased("purge \(description)") { connection in
            try await connection.withTransaction(logger: logger) { connection in
                // The cutoffs travel as RFC 3339 text and are cast on the server: the columns are timestamptz.
                func count(_ query: PostgresQuery) async throws -> Int {
                    for try await count in try await connection.query(query, logger: logger).decode(Int64.self) { return Int(count) }
                    return 0
                }
                var report = PurgeReport()
                if let text = presence?.rfc3339 {
                    report.presence = try await count("""
                        WITH gone AS (DELETE FROM presence WHERE ts < \(text)::timestamptz RETURNING 1) SELECT count(*) FROM gone
                        """)
                }
                if let text = visits?.rfc3339 {
                    report.visits = try await count("""
                        WITH gone AS (DELETE FROM visits WHERE coalesce(ended_at, started_at) < \(text)::timestamptz RETURNING 1)
                        SELECT count(*) FROM gone
                        """)
                }
                if let text = transactions?.rfc3339 {
                    report.transactions = try await count("""
                        WITH gone AS (DELETE FROM transactions WHERE ended_at < \(text)::timestamptz RETURNING 1) SELECT count(*) FROM gone
                        """)
                }
                return report
            }
        }
    }

    /// Runs `body` on a leased connection; fails when none is leased within `connectTimeout` (the server
    /// is down or refuses us) rather than waiting for ever, so the caller can log and retry.
    func leased<T: Sendable>(_ operation: String, code: CRMStoreError.Code = .write,
                             _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(CRMStoreError) -> T {
        let gotConnection = LeaseFlag()
        let client = self.client
        let timeout = connectTimeout
        let location = self.location
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        gotConnection.set()
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    guard gotConnection.isSet else {
                        throw CRMStoreError(.open, "no connection to PostgreSQL at \(location) within \(timeout.components.seconds)s (is the server up, and are the user, password and database right?)")
                    }
                    return nil
                }
                while let next = try await group.next() {
                    if let value = next {
                        group.cancelAll()
                        return value
                    }
                }
                throw CRMStoreError(code, "\(operation): the connection ended without an answer")
            }
        } catch {
            throw CRMStoreError(code, "cannot \(operation) in \(location): \(Self.describe(error))")
        }
    }

    /// A sentence for an error from PostgresNIO: the server's own message when there is one (PSQLError's
    /// description is deliberately generic), never the bound values.
    static func describe(_ error: any Error) -> String {
        if let error = error as? CRMStoreError { return error.message }
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError ?? error.commitError ?? error.beginError { return describe(inner) }
            return "the transaction failed"
        }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                let detail = error.serverInfo?[.detail].map { "; \($0)" } ?? ""
                return "the server said: \(message)\(detail)\(state)"
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }
}

/// Set once the pool has handed out a connection: then a slow batch is work, not an unreachable server.
private final class LeaseFlag: Sendable {
    private let value = Mutex<Bool>(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
