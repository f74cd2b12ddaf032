import GRDB
import GatewayCore

/// A change the store wrote for the running gateway to publish: a `customer.segment` from a
/// segmentation run, a `customer.erased` from an erasure.
public protocol OutboxEntry: Sendable {
    /// Its position in the outbox: entries are published in this order.
    var id: Int64 { get }
    /// A UUID carried on the bus as `change`, so the journal can tell whether it was published.
    var changeID: String { get }
    /// The bus seq when it was handed to the pipeline; `nil` while waiting.
    var announcedAfter: UInt64? { get }
    /// The event to publish.
    var event: EventPayload { get }
    /// The topic its event is published on.
    static var topic: EventType { get }
    /// The change id an event of ``topic`` carries, if it is one of these entries.
    static func changeID(in event: EventPayload) -> String?
}

/// An outbox table, filled by a process that changed the store (whichever it was) and drained by the
/// running gateway, which publishes each entry once in its own seq order.
///
/// An entry goes waiting → announced (handed to the pipeline, with the bus seq at that moment) →
/// published (its seq on the bus is known). An entry announced but never confirmed was lost in a crash
/// before the journal had it, or was journaled and the crash came before the confirmation: the gateway
/// searches the journal from `announcedAfter` to tell which, and announces again only the lost ones.
public struct Outbox<Entry: OutboxEntry>: Sendable {
    let database: CRMDatabase
    /// The table; it has `id`, `change_id`, `announced_at`, `announced_after` and `published_seq`.
    let table: String
    /// The columns ``decode`` reads, in its order.
    let columns: String
    let decode: @Sendable (Row) -> Entry
    let what: String

    /// Entries not yet handed to the pipeline, oldest first.
    public func waiting(limit: Int = 1_000) throws(CRMStoreError) -> [Entry] {
        try database.reading("read the \(what) outbox") { db in
            try entries(db, where: "announced_at IS NULL AND published_seq IS NULL", limit: limit)
        }
    }

    /// Entries handed to the pipeline whose publication is not confirmed yet, oldest first.
    public func unconfirmed(limit: Int = 10_000) throws(CRMStoreError) -> [Entry] {
        try database.reading("read the \(what) outbox") { db in
            try entries(db, where: "announced_at IS NOT NULL AND published_seq IS NULL", limit: limit)
        }
    }

    /// Records that `ids` are about to be handed to the pipeline while the bus is at `seq`; called
    /// before announcing, so a crash in between is seen as an unconfirmed entry.
    public func markAnnounced(_ ids: [Int64], afterSeq seq: UInt64) throws(CRMStoreError) {
        guard !ids.isEmpty else { return }
        try database.writing("mark \(what) changes announced") { db in
            let statement = try db.makeStatement(sql: """
                UPDATE \(table) SET announced_at = ?, announced_after = ? WHERE id = ? AND published_seq IS NULL
                """)
            let now = Timestamp.now().rfc3339
            for id in ids { try statement.execute(arguments: [now, Int64(clamping: seq), id]) }
        }
    }

    /// Records the seq each entry was published at (`change id → seq`).
    public func confirm(_ seqs: [String: UInt64]) throws(CRMStoreError) {
        guard !seqs.isEmpty else { return }
        try database.writing("confirm published \(what) changes") { db in
            let statement = try db.makeStatement(sql: "UPDATE \(table) SET published_seq = ? WHERE change_id = ? AND published_seq IS NULL")
            for (change, seq) in seqs { try statement.execute(arguments: [Int64(clamping: seq), change]) }
        }
    }

    /// Puts entries that were announced but never reached the bus back in the queue.
    public func reopen(_ ids: [Int64]) throws(CRMStoreError) {
        guard !ids.isEmpty else { return }
        try database.writing("reopen \(what) changes") { db in
            let statement = try db.makeStatement(sql: """
                UPDATE \(table) SET announced_at = NULL, announced_after = NULL WHERE id = ? AND published_seq IS NULL
                """)
            for id in ids { try statement.execute(arguments: [id]) }
        }
    }

    /// How many entries wait for publication (waiting or unconfirmed): visible in logs and tests.
    public func pendingCount() throws(CRMStoreError) -> Int {
        try database.reading("count the \(what) outbox") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE published_seq IS NULL") ?? 0
        }
    }

    private func entries(_ db: Database, where condition: String, limit: Int) throws -> [Entry] {
        try Row.fetchAll(db, sql: "SELECT \(columns) FROM \(table) WHERE \(condition) ORDER BY id LIMIT ?",
                         arguments: [max(0, limit)]).map(decode)
    }
}
