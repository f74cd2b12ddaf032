import Foundation
import GRDB
import GatewayCore
import Logging

/// Writes bus events into the store, exactly once per event.
///
/// A batch is written in one transaction together with the bus cursor (the highest seq applied per
/// gateway). An event at or below its gateway's cursor was applied before and is skipped, so a
/// subscriber may replay from any point after a crash: nothing is written twice and nothing is lost.
public struct StoreWriter: Sendable {
    /// What a call of ``StoreWriter/applyBatch(_:)`` did.
    public struct ApplyResult: Sendable, Equatable {
        /// Events past their gateway's cursor, applied now (including types the store ignores).
        public var applied: Int
        /// Events at or below their gateway's cursor: applied before, skipped.
        public var skipped: Int
        /// The cursor of each gateway seen in the batch, after it.
        public var cursors: [String: UInt64]

        /// Creates a result.
        public init(applied: Int, skipped: Int, cursors: [String: UInt64]) {
            self.applied = applied
            self.skipped = skipped
            self.cursors = cursors
        }
    }

    /// The store written to.
    public let database: CRMDatabase
    let logger: Logger

    /// Creates a writer.
    public init(database: CRMDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Applies `events` in one transaction and returns how many were applied (the rest were skipped
    /// as already applied).
    ///
    /// - Throws: ``CRMStoreError/Code/write`` when the transaction fails; then nothing of the batch
    ///   is written and the cursor has not moved, so the same batch can be retried.
    @discardableResult
    public func apply(_ events: [GatewayEvent]) throws(CRMStoreError) -> Int {
        try applyBatch(events).applied
    }

    /// Applies `events` in one transaction, as ``apply(_:)`` does, and reports the counts and cursors.
    ///
    /// Within a batch events are expected in seq order per gateway, as the bus delivers them: an event
    /// at or below an earlier one of the same batch counts as already applied.
    public func applyBatch(_ events: [GatewayEvent]) throws(CRMStoreError) -> ApplyResult {
        guard !events.isEmpty else { return ApplyResult(applied: 0, skipped: 0, cursors: [:]) }
        let logger = self.logger
        var erasure = false
        let result = try database.writing("apply \(events.count) events") { db in
            let statements = EventStatements(db)
            var cursors: [String: UInt64] = [:]
            var advanced: Set<String> = []
            var applied = 0
            var skipped = 0
            for event in events {
                let last: UInt64
                if let known = cursors[event.gateway] {
                    last = known
                } else {
                    last = try Self.cursor(db, gateway: event.gateway)
                    cursors[event.gateway] = last
                }
                guard event.seq > last else {
                    skipped += 1
                    continue
                }
                if last > 0, event.seq != last + 1 {
                    // The subscriber fetches gaps from the journal before delivering; a gap here means
                    // the journal no longer had them. Applying on is right, but it is worth a trace.
                    logger.info("bus gap in the store", metadata: [
                        "gateway": "\(event.gateway)", "after": "\(last)", "next": "\(event.seq)",
                    ])
                }
                try statements.apply(event)
                if event.type == .customerErased { erasure = true }
                cursors[event.gateway] = event.seq
                advanced.insert(event.gateway)
                applied += 1
            }
            for gateway in advanced {
                try statements.saveCursor(gateway: gateway, seq: cursors[gateway]!)
            }
            return ApplyResult(applied: applied, skipped: skipped, cursors: cursors)
        }
        if erasure {
            database.truncateWriteAheadLog(after: "an erasure from the bus")
        }
        if result.skipped > 0 {
            logger.debug("events already in the store were skipped", metadata: ["skipped": "\(result.skipped)"])
        }
        return result
    }

    /// The highest seq applied for `gateway`; 0 when none was.
    public func lastAppliedSeq(gateway: String) throws(CRMStoreError) -> UInt64 {
        try database.reading("read the bus cursor of \(gateway)") { db in
            try Self.cursor(db, gateway: gateway)
        }
    }

    /// The highest seq applied for every gateway the store has heard from.
    public func cursors() throws(CRMStoreError) -> [String: UInt64] {
        try database.reading("read the bus cursors") { db in
            var cursors: [String: UInt64] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT gateway, last_seq FROM bus_cursor")
            while let row = try rows.next() {
                let seq: Int64 = row[1]
                cursors[row[0]] = UInt64(clamping: seq)
            }
            return cursors
        }
    }

    private static func cursor(_ db: Database, gateway: String) throws -> UInt64 {
        let seq = try Int64.fetchOne(db.cachedStatement(sql: "SELECT last_seq FROM bus_cursor WHERE gateway = ?"), arguments: [gateway])
        return UInt64(clamping: seq ?? 0)
    }
}

/// What the store ingest needs of a back end: apply batches exactly once per seq, tell the cursors,
/// purge what retention says is due, close.
///
/// Two back ends conform: ``StoreWriter`` (SQLite through GRDB, one store) and
/// ``PostgresStoreWriter`` (PostgreSQL through PostgresNIO, a chain of stores). Both keep the same
/// tables and commit a batch's rows with the gateways' cursors in one transaction.
public protocol CRMEventStore: Sendable {
    /// Where the events go, for logs and errors; never includes a password.
    var location: String { get }

    /// Applies `events` in one transaction; events at or below their gateway's cursor are skipped.
    ///
    /// - Throws: ``CRMStoreError`` when the transaction fails; then nothing of the batch is written
    ///   and no cursor has moved, so the same batch can be retried.
    func applyBatch(_ events: [GatewayEvent]) async throws(CRMStoreError) -> StoreWriter.ApplyResult

    /// The highest seq applied for every gateway the store has heard from.
    func cursors() async throws(CRMStoreError) -> [String: UInt64]

    /// The highest seq applied for `gateway`; 0 when none was.
    func lastAppliedSeq(gateway: String) async throws(CRMStoreError) -> UInt64

    /// Deletes, in one transaction, presence older than `presenceBefore`, visits that ended (or, never
    /// ended, started) before `visitsBefore`, and sales that ended before `transactionsBefore` with
    /// their lines and tenders; a `nil` cutoff keeps that table. Returns the rows removed per table.
    ///
    /// - Throws: ``CRMStoreError`` when the transaction fails; then nothing was deleted.
    func purge(presenceBefore: Timestamp?, visitsBefore: Timestamp?, transactionsBefore: Timestamp?) async throws(CRMStoreError) -> PurgeReport
}

extension StoreWriter: CRMEventStore {
    /// The SQLite file.
    public var location: String { "sqlite:\(database.path)" }
}
