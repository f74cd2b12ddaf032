import GRDB
import GatewayCore

/// A `customer.segment` change a segmentation run wrote and the running gateway has yet to publish.
public struct SegmentChange: Sendable, Equatable {
    /// Its position in the outbox: changes are published in this order.
    public var id: Int64
    /// A UUID carried on the bus as `change`, so the journal can tell whether it was published.
    public var changeID: String
    /// The customer's token.
    public var token: String
    /// The new segment; empty when the customer is no longer segmented.
    public var segment: String
    /// The tier after the change.
    public var tier: String
    /// The tier before, when it changed.
    public var previousTier: String?
    /// The bus seq when it was handed to the pipeline; `nil` while waiting.
    public var announcedAfter: UInt64?

    /// The event payload.
    public var payload: CustomerSegment {
        CustomerSegment(token: token, segment: segment, tier: tier, previousTier: previousTier, change: changeID)
    }
}

/// The outbox of `customer.segment` changes: written by ``SegmentationJob`` in its transaction, drained
/// by the running gateway.
///
/// A change goes waiting → announced (handed to the pipeline, with the bus seq at that moment) →
/// published (its seq on the bus is known). A change announced but never confirmed was lost in a crash
/// before the journal had it, or was journaled and the crash came before the confirmation: the
/// gateway searches the journal from `announcedAfter` to tell which, and announces again only the lost ones.
extension CRMDatabase {
    /// Changes not yet handed to the pipeline, oldest first.
    public func waitingSegmentChanges(limit: Int = 1_000) throws(CRMStoreError) -> [SegmentChange] {
        try reading("read the segment outbox") { db in
            try Self.changes(db, where: "announced_at IS NULL AND published_seq IS NULL", limit: limit)
        }
    }

    /// Changes handed to the pipeline whose publication is not confirmed yet, oldest first.
    public func unconfirmedSegmentChanges(limit: Int = 10_000) throws(CRMStoreError) -> [SegmentChange] {
        try reading("read the segment outbox") { db in
            try Self.changes(db, where: "announced_at IS NOT NULL AND published_seq IS NULL", limit: limit)
        }
    }

    /// Records that `ids` are about to be handed to the pipeline while the bus is at `seq`; called
    /// before announcing, so a crash in between is seen as an unconfirmed change.
    public func markSegmentChangesAnnounced(_ ids: [Int64], afterSeq seq: UInt64) throws(CRMStoreError) {
        guard !ids.isEmpty else { return }
        try writing("mark segment changes announced") { db in
            let statement = try db.makeStatement(sql: """
                UPDATE segment_outbox SET announced_at = ?, announced_after = ? WHERE id = ? AND published_seq IS NULL
                """)
            let now = Timestamp.now().rfc3339
            for id in ids { try statement.execute(arguments: [now, Int64(clamping: seq), id]) }
        }
    }

    /// Records the seq each change was published at (`change id → seq`).
    public func confirmSegmentChanges(_ seqs: [String: UInt64]) throws(CRMStoreError) {
        guard !seqs.isEmpty else { return }
        try writing("confirm published segment changes") { db in
            let statement = try db.makeStatement(sql: "UPDATE segment_outbox SET published_seq = ? WHERE change_id = ? AND published_seq IS NULL")
            for (change, seq) in seqs { try statement.execute(arguments: [Int64(clamping: seq), change]) }
        }
    }

    /// Puts changes that were announced but never reached the bus back in the queue.
    public func reopenSegmentChanges(_ ids: [Int64]) throws(CRMStoreError) {
        guard !ids.isEmpty else { return }
        try writing("reopen segment changes") { db in
            let statement = try db.makeStatement(sql: """
                UPDATE segment_outbox SET announced_at = NULL, announced_after = NULL WHERE id = ? AND published_seq IS NULL
                """)
            for id in ids { try statement.execute(arguments: [id]) }
        }
    }

    /// How many changes wait for publication (waiting or unconfirmed): visible in logs and tests.
    public func pendingSegmentChangeCount() throws(CRMStoreError) -> Int {
        try reading("count the segment outbox") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM segment_outbox WHERE published_seq IS NULL") ?? 0
        }
    }

    private static func changes(_ db: Database, where condition: String, limit: Int) throws -> [SegmentChange] {
        try Row.fetchAll(db, sql: """
            SELECT id, change_id, token, segment, tier, previous_tier, announced_after FROM segment_outbox
            WHERE \(condition) ORDER BY id LIMIT ?
            """, arguments: [max(0, limit)]).map { row in
            let after: Int64? = row[6]
            return SegmentChange(id: row[0], changeID: row[1], token: row[2], segment: row[3], tier: row[4], previousTier: row[5],
                                 announcedAfter: after.map { UInt64(clamping: $0) })
        }
    }
}
