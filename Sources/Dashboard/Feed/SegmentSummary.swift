import CRMStore
import GRDB

/// The Segments page's numbers, read from the CRM store.
///
/// The store is where a segmentation run keeps its results (`customer_segments`, with CLV), and
/// `customer.segment` events carry only the customers whose segment or tier changed, without CLV.
/// So the page is read from the store: at start (a dashboard started after the nightly run shows
/// it at once), after `customer.segment` or `customer.erased` events (a run or an erasure just
/// happened), and every 30 s. Objectors to profiling are left out even before the next run
/// removes their row.
public struct SegmentSummary: Sendable, Equatable {
    /// Customers per tier, all of them.
    public var tiers: [String: Int]
    /// Profiled, segmented customers per segment and current tier.
    public var bySegmentAndTier: [DashboardState.SegmentTierCount]
    /// The highest lifetime values: token and first name only.
    public var topCustomers: [DashboardState.TopCustomer]
    /// The latest run.
    public var lastRun: DashboardState.SegmentationRun?

    /// Creates a summary.
    public init(tiers: [String: Int], bySegmentAndTier: [DashboardState.SegmentTierCount], topCustomers: [DashboardState.TopCustomer],
                lastRun: DashboardState.SegmentationRun?) {
        self.tiers = tiers
        self.bySegmentAndTier = bySegmentAndTier
        self.topCustomers = topCustomers
        self.lastRun = lastRun
    }

    /// How many customers the CLV ranking shows.
    public static let topCount = 10

    /// Reads the summary in one read transaction, so the counts and the ranking agree.
    ///
    /// - Throws: ``DashboardError`` with code `.store` when the store cannot be read.
    public static func read(from database: CRMDatabase, top: Int = topCount) throws(DashboardError) -> SegmentSummary {
        do {
            return try database.pool.read { db in
                var tiers: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT tier, count(*) FROM customers GROUP BY tier") {
                    tiers[row[0]] = row[1]
                }
                let cells = try Row.fetchAll(db, sql: """
                    SELECT s.segment, c.tier, count(*) FROM customer_segments s JOIN customers c USING (customer_id)
                    WHERE c.profiling_consent = 1 AND s.segment <> ''
                    GROUP BY s.segment, c.tier
                    """).map { DashboardState.SegmentTierCount(segment: $0[0], tier: $0[1], count: $0[2]) }
                let ranked = try Row.fetchAll(db, sql: """
                    SELECT c.token, coalesce(c.first_name, ''), s.clv FROM customer_segments s JOIN customers c USING (customer_id)
                    WHERE c.profiling_consent = 1 AND s.clv IS NOT NULL
                    ORDER BY s.clv DESC, c.token LIMIT ?
                    """, arguments: [max(0, top)]).compactMap { row -> DashboardState.TopCustomer? in
                    let clv: Double = row[2]
                    return clv.isFinite ? DashboardState.TopCustomer(token: row[0], firstName: row[1], clv: clv) : nil
                }
                let run = try Row.fetchOne(db, sql: """
                    SELECT as_of, finished_at, customers FROM segmentation_runs ORDER BY finished_at DESC, run_id LIMIT 1
                    """).map { DashboardState.SegmentationRun(asOf: $0[0], finishedAt: $0[1], customers: $0[2]) }
                return SegmentSummary(tiers: tiers, bySegmentAndTier: cells, topCustomers: ranked, lastRun: run)
            }
        } catch {
            throw DashboardError(.store, "cannot read segments from \(database.path): \(error)")
        }
    }
}
