import Foundation
import GRDB
import GatewayCore

/// A `customer.erased` tombstone an erasure wrote and the running gateway has yet to publish.
///
/// It holds the token and nothing else: the customer id is gone the moment the erasure commits.
public struct ErasureRequest: OutboxEntry, Equatable {
    /// Its position in the outbox.
    public var id: Int64
    /// A UUID carried on the bus as `change`.
    public var changeID: String
    /// The erased customer's token, which every subscriber forgets.
    public var token: String
    /// The bus seq when it was handed to the pipeline; `nil` while waiting.
    public var announcedAfter: UInt64?

    /// The event to publish.
    public var event: EventPayload { .customerErased(CustomerErased(token: token, change: changeID)) }

    /// `customer.erased`.
    public static var topic: EventType { .customerErased }

    /// The change id of a `customer.erased`.
    public static func changeID(in event: EventPayload) -> String? {
        guard case .customerErased(let erased) = event else { return nil }
        return erased.change
    }
}

/// What one erasure removed or made anonymous.
public struct ErasureReport: Sendable, Equatable, Codable {
    /// The token the tombstone carries.
    public var token: String
    /// Credentials (tags, cards) deleted.
    public var credentials: Int
    /// Raw presence rows deleted.
    public var presence: Int
    /// Visits kept for footfall, with the token removed.
    public var visits: Int
    /// Sales kept for accounting, with the token removed.
    public var transactions: Int
    /// Consent history rows deleted.
    public var consentHistory: Int
    /// Segment and tier rows deleted (current segment, tier history, unpublished changes).
    public var segmentation: Int
}

extension CRMDatabase {
    /// The outbox of `customer.erased` tombstones, drained by the running gateway.
    public var erasureOutbox: Outbox<ErasureRequest> {
        Outbox(database: self, table: "erasure_outbox", columns: "id, change_id, token, announced_after", decode: { row in
            let after: Int64? = row[3]
            return ErasureRequest(id: row[0], changeID: row[1], token: row[2], announcedAfter: after.map { UInt64(clamping: $0) })
        }, what: "erasure")
    }

    /// Erases a customer (REFERENCE §7): the customer row, their credentials, consent and its history,
    /// segments and tier history, and their raw presence are deleted; their visits and sales stay,
    /// with the token removed, so footfall and accounting totals are unchanged. In the same transaction
    /// a `customer.erased` tombstone is queued for the running gateway to publish, so every other
    /// subscriber (the dashboard, a central store) forgets the token too.
    ///
    /// - Throws: ``CRMStoreError/Code/notFound`` for an unknown customer id (nothing is queued).
    public func erase(customerID: String, at time: Timestamp = .now()) throws(CRMStoreError) -> ErasureReport {
        let report = try writing("erase customer '\(customerID)'") { db in
            guard let token = try String.fetchOne(db, sql: "SELECT token FROM customers WHERE customer_id = ?", arguments: [customerID]) else {
                throw CRMStoreError(.notFound, "no customer '\(customerID)' in \(path)")
            }
            let report = try Self.eraseRows(db, token: token)
            try db.execute(sql: "INSERT INTO erasure_outbox (change_id, token, requested_at) VALUES (?, ?, ?)",
                           arguments: [UUID().uuidString.lowercased(), token, time.rfc3339])
            return report
        }
        truncateWriteAheadLog(after: "the erasure")
        return report
    }

    /// Copies the write-ahead log into the file and empties it: the log still holds the pages as they
    /// were before a delete. Best effort: a long reader in another process can hold it, and the log is
    /// then emptied at a later checkpoint.
    func truncateWriteAheadLog(after operation: String) {
        do {
            _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        } catch {
            logger.warning("CRM store: cannot empty the write-ahead log after \(operation): \(error)", metadata: ["path": "\(path)"])
        }
    }

    /// Deletes or anonymises every row of `token`'s customer; shared by the erasure itself and by a
    /// subscriber applying a `customer.erased` (which may never have held the customer row).
    static func eraseRows(_ db: Database, token: String) throws -> ErasureReport {
        func run(_ sql: String, _ arguments: String...) throws -> Int {
            try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(arguments))
            return db.changesCount
        }
        var report = ErasureReport(token: token, credentials: 0, presence: 0, visits: 0, transactions: 0, consentHistory: 0, segmentation: 0)
        if let customerID = try String.fetchOne(db.cachedStatement(sql: "SELECT customer_id FROM customers WHERE token = ?"), arguments: [token]) {
            report.credentials = try run("DELETE FROM credentials WHERE customer_id = ?", customerID)
            report.consentHistory = try run("DELETE FROM consent_history WHERE customer_id = ?", customerID)
            report.segmentation = try run("DELETE FROM customer_segments WHERE customer_id = ?", customerID)
                + run("DELETE FROM tier_history WHERE customer_id = ?", customerID)
            _ = try run("DELETE FROM customers WHERE customer_id = ?", customerID)
        }
        report.segmentation += try run("DELETE FROM segment_outbox WHERE token = ?", token)
        report.presence = try run("DELETE FROM presence WHERE token = ?", token)
        report.visits = try run("UPDATE visits SET token = NULL WHERE token = ?", token)
        report.transactions = try run("UPDATE transactions SET token = NULL WHERE token = ?", token)
        return report
    }
}

/// The tokens of erased customers, as the importers see them: an import must not bring an erased
/// customer back under the same token, which would link them again to what the journal and other
/// stores keep.
struct ErasedTokens {
    private let lookup: Statement

    init(_ db: Database) throws {
        lookup = try db.makeStatement(sql: "SELECT requested_at FROM erasure_outbox WHERE token = ? ORDER BY id DESC LIMIT 1")
    }

    /// The day (`YYYY-MM-DD`) `token`'s customer was erased, or `nil` when they never were.
    func erasedOn(_ token: String) throws -> Substring? {
        try String.fetchOne(lookup, arguments: [token]).map { $0.prefix(10) }
    }

    /// The import error for an erased customer id.
    static func refusal(_ id: String, on day: Substring) -> String {
        "'\(id)' was erased on \(day): erase them in the CRM too; someone who joins again gets a new id"
    }
}
