import Foundation
import GRDB
import GatewayCore

/// How many rows a purge removed, or in a dry run would remove, per table.
///
/// Transaction lines and tenders go with their sale (`ON DELETE CASCADE`) and are not counted apart.
public struct PurgeReport: Sendable, Equatable, Codable {
    /// Raw presence rows.
    public var presence: Int
    /// Visits.
    public var visits: Int
    /// Sales (`transactions` rows).
    public var transactions: Int

    /// Creates a report.
    public init(presence: Int = 0, visits: Int = 0, transactions: Int = 0) {
        self.presence = presence
        self.visits = visits
        self.transactions = transactions
    }

    /// All rows removed.
    public var total: Int { presence + visits + transactions }
}

extension CRMConfig.Retention {
    /// Whether any table has an age; when none has, there is never anything to purge.
    public var purgesAnything: Bool { presence != nil || visits != nil || transactions != nil }

    /// The time before which rows of a table kept for `age` are due, as of `now`; `nil` when `age`
    /// is `nil` (kept for ever).
    public static func cutoff(_ age: Duration?, now: Timestamp = .now()) -> Timestamp? {
        age.map { now.adding(milliseconds: -$0.milliseconds) }
    }

    /// Each table's cutoff as of `now`, in the order the purges take them; `nil` for a table kept for ever.
    public func cutoffs(now: Timestamp = .now()) -> (presence: Timestamp?, visits: Timestamp?, transactions: Timestamp?) {
        (Self.cutoff(presence, now: now), Self.cutoff(visits, now: now), Self.cutoff(transactions, now: now))
    }
}

/// The SQL that selects what is due, shared by the delete and the dry run so both always agree.
///
/// Times are RFC 3339 UTC text with milliseconds, which sort as time, so a text comparison is a time
/// comparison. A visit counts from its end, or its start when it never ended; a visit with neither
/// (which the writer never makes) has no age and is kept.
enum RetentionSQL {
    static let presence = "FROM presence WHERE ts < ?"
    static let visits = "FROM visits WHERE coalesce(ended_at, started_at) < ?"
    static let transactions = "FROM transactions WHERE ended_at < ?"
}

extension CRMDatabase {
    /// Deletes rows older than their table's cutoff, in one transaction: presence by `ts`, visits by
    /// `ended_at` (`started_at` when never ended), sales by `ended_at` with their lines and tenders.
    ///
    /// A `nil` cutoff leaves that table alone. Rows at the cutoff or later stay.
    ///
    /// - Parameter dryRun: count what is due without deleting anything.
    /// - Returns: the rows removed (or due) per table.
    /// - Throws: ``CRMStoreError/Code/write`` when the transaction fails; then nothing was deleted.
    @discardableResult
    public func purge(presenceBefore presence: Timestamp?, visitsBefore visits: Timestamp?, transactionsBefore transactions: Timestamp?,
                      dryRun: Bool = false) throws(CRMStoreError) -> PurgeReport {
        let due: [(String, Timestamp?)] = [(RetentionSQL.presence, presence), (RetentionSQL.visits, visits),
                                          (RetentionSQL.transactions, transactions)]
        let description = "purge \(Self.describe(presence: presence, visits: visits, transactions: transactions))"
        func run(_ db: Database) throws -> PurgeReport {
            var counts: [Int] = []
            for (sql, cutoff) in due {
                guard let cutoff else {
                    counts.append(0)
                    continue
                }
                if dryRun {
                    counts.append(try Int.fetchOne(db, sql: "SELECT count(*) \(sql)", arguments: [cutoff.rfc3339]) ?? 0)
                } else {
                    try db.execute(sql: "DELETE \(sql)", arguments: [cutoff.rfc3339])
                    // Rows removed by the cascade (lines, tenders) are not in `changesCount`: only sales count.
                    counts.append(db.changesCount)
                }
            }
            return PurgeReport(presence: counts[0], visits: counts[1], transactions: counts[2])
        }
        // Callers log the counts (the ingest thread, the CLI): the database stays quiet about routine work.
        if dryRun { return try reading(description, run) }
        let report = try writing(description, run)
        // As after an erasure: the purged rows' old pages must not linger in the write-ahead log.
        if report.presence + report.visits + report.transactions > 0 { truncateWriteAheadLog(after: "the retention purge") }
        return report
    }

    /// `presence before …, visits before …` for errors; tables kept for ever are left out.
    static func describe(presence: Timestamp?, visits: Timestamp?, transactions: Timestamp?) -> String {
        let parts = [("presence", presence), ("visits", visits), ("transactions", transactions)]
            .compactMap { name, cutoff in cutoff.map { "\(name) before \($0.rfc3339)" } }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }
}

extension StoreWriter {
    /// Deletes presence, visits and sales older than their cutoffs in one transaction, as
    /// ``CRMDatabase/purge(presenceBefore:visitsBefore:transactionsBefore:dryRun:)``.
    public func purge(presenceBefore presence: Timestamp?, visitsBefore visits: Timestamp?,
                      transactionsBefore transactions: Timestamp?) throws(CRMStoreError) -> PurgeReport {
        try database.purge(presenceBefore: presence, visitsBefore: visits, transactionsBefore: transactions)
    }
}
