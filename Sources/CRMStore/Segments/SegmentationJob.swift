import Foundation
import GRDB
import GatewayCore
import Logging
import Segmentation

/// An error of a segmentation run: reading or writing the store, or a model input the engine refused.
public struct SegmentationJobError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        /// The store could not be read or written.
        public static let store = Code(name: "store")
        /// The engine refused the purchases (a NaN amount, a non-finite fit).
        public static let model = Code(name: "model")
        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong, naming the run and the file.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// What a segmentation run did, for the CLI's summary and `--json`.
public struct SegmentationReport: Sendable, Equatable, Codable {
    /// One of the customers with the highest CLV: token and first name only, never ids or contact details.
    public struct TopCustomer: Sendable, Equatable, Codable {
        /// The customer's token.
        public var token: String
        /// First name, when the CRM has one.
        public var firstName: String?
        /// Discounted CLV over the horizon.
        public var clv: Double
        /// RFM segment.
        public var segment: String
        /// Tier after the run.
        public var tier: String
    }

    /// Fitted BG/NBD parameters, in the run's time unit.
    public struct BGNBD: Sendable, Equatable, Codable {
        /// Shape of the purchase-rate gamma.
        public var r: Double
        /// Scale of the purchase-rate gamma, in the run's time unit.
        public var alpha: Double
        /// Dropout beta `a`.
        public var a: Double
        /// Dropout beta `b`.
        public var b: Double
        /// Log-likelihood at the fit.
        public var logLikelihood: Double
    }

    /// Fitted Gamma-Gamma parameters.
    public struct GammaGamma: Sendable, Equatable, Codable {
        /// Shape of spend per transaction.
        public var p: Double
        /// Shape of the customers' scale.
        public var q: Double
        /// Scale of the customers' scale.
        public var v: Double
        /// Log-likelihood at the fit.
        public var logLikelihood: Double
    }

    /// The run's id (a UUID).
    public var runID: String
    /// The evaluation day, `YYYY-MM-DD`.
    public var asOf: String
    /// `days` or `weeks`.
    public var timeUnit: String
    /// Customers scored (profiled customers with a purchase on or before the as-of day).
    public var customers: Int
    /// Customers who objected to profiling, left out.
    public var excluded: Int
    /// Purchases read.
    public var purchases: Int
    /// BG/NBD fit; absent when it could not be fitted (see ``warnings``).
    public var bgnbd: BGNBD?
    /// Gamma-Gamma fit; absent when it could not be fitted.
    public var gammaGamma: GammaGamma?
    /// Customers per RFM segment.
    public var segments: [String: Int]
    /// Customers per tier after the run (all customers, profiled or not).
    public var tiers: [String: Int]
    /// Customers whose tier changed.
    public var tierChanges: Int
    /// `customer.segment` events queued for the gateway.
    public var published: Int
    /// Customers whose earlier segment was removed (objected, or no longer scored).
    public var removed: Int
    /// The customers with the highest CLV.
    public var topCustomers: [TopCustomer]
    /// Non-fatal problems (a model not fitted on too little data).
    public var warnings: [String]
}

/// One segmentation run against the CRM store: read the profiled customers' purchases, run the
/// engine, and write results, tier history and the `customer.segment` outbox in one transaction.
///
/// The outbox is what makes a run in another process (`gateway segment` next to `gateway run`)
/// reach the bus: the running gateway drains it in its own seq order.
public struct SegmentationJob: Sendable {
    /// The segment of a profiled customer with purchases, but none in the RFM window.
    public static let inactiveSegment = "Inactive"

    /// The store.
    public let database: CRMDatabase
    /// The `segmentation:` settings.
    public let settings: SegmentationSettings
    /// How many customers the report lists by CLV.
    public var topCount: Int
    let logger: Logger

    /// Creates a job.
    public init(database: CRMDatabase, settings: SegmentationSettings, logger: Logger, topCount: Int = 10) {
        self.database = database
        self.settings = settings
        self.logger = logger
        self.topCount = max(0, topCount)
    }

    /// Whether runs write `customers.tier`: only when tier rules or manual tiers are configured, so a
    /// store that keeps tiers in its CSV is not overruled by an empty rule list.
    public var managesTiers: Bool { !settings.tierRules.isEmpty || !settings.manualTiers.isEmpty }

    /// Runs the segmentation as of `asOf` (purchases after it are ignored) in `unit` (default: the config's).
    public func run(asOf: Day, unit: TimeUnit? = nil) throws(SegmentationJobError) -> SegmentationReport {
        let started = Timestamp.now()
        let config = settings.engineConfig(asOf: asOf, unit: unit)
        let input = try read(asOf: asOf)
        var result: SegmentationResult?
        if !input.purchases.isEmpty {
            do {
                result = try SegmentationEngine.run(purchases: input.purchases, config: config, previousTiers: input.previousTiers)
            } catch {
                throw SegmentationJobError(.model, "segmentation as of \(asOf) failed: \(error)")
            }
        }
        let runID = UUID().uuidString.lowercased()
        let report: SegmentationReport
        do {
            report = try database.pool.write { db in
                try write(db, result: result, input: input, config: config, runID: runID, started: started)
            }
        } catch let error as SegmentationJobError {
            throw error
        } catch {
            throw SegmentationJobError(.store, "cannot write the segmentation run to \(database.path): \(error)")
        }
        logger.info("segmentation run", metadata: [
            "run": "\(runID)", "asOf": "\(asOf)", "customers": "\(report.customers)", "excluded": "\(report.excluded)",
            "tierChanges": "\(report.tierChanges)", "published": "\(report.published)",
        ])
        for warning in report.warnings { logger.warning("segmentation: \(warning)") }
        return report
    }

    // MARK: Reading

    struct Input {
        var purchases: [Purchase] = []
        var previousTiers: [String: TierState] = [:]
        var excluded = 0
        var unreadable = 0
        var profiled: Set<String> = []
    }

    private func read(asOf: Day) throws(SegmentationJobError) -> Input {
        do {
            return try database.pool.read { db in
                var input = Input()
                input.excluded = try Int.fetchOne(db, sql: "SELECT count(*) FROM customers WHERE profiling_consent = 0") ?? 0
                input.profiled = Set(try String.fetchAll(db, sql: "SELECT customer_id FROM customers WHERE profiling_consent = 1"))
                // Sales reach customers through the token: the POS feed only ever knows that.
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT c.customer_id, t.business_day, t.total FROM transactions t
                    JOIN customers c ON c.token = t.token
                    WHERE c.profiling_consent = 1 AND t.business_day <= ?
                    """, arguments: [asOf.iso])
                while let row = try rows.next() {
                    let dayText: String = row[1]
                    let totalText: String = row[2]
                    guard let day = Day(iso: dayText), let amount = DecimalText.parse(totalText) else {
                        input.unreadable += 1
                        continue
                    }
                    input.purchases.append(Purchase(customerID: row[0], date: day, amount: amount))
                }
                let states = try Row.fetchCursor(db, sql: """
                    SELECT s.customer_id, s.tier, s.tier_qualified_until FROM customer_segments s
                    JOIN customers c USING (customer_id)
                    WHERE c.profiling_consent = 1 AND s.tier IS NOT NULL AND s.tier_qualified_until IS NOT NULL
                    """)
                while let row = try states.next() {
                    let untilText: String = row[2]
                    guard let until = Day(iso: untilText) else { continue }
                    input.previousTiers[row[0]] = TierState(tier: row[1], qualifiedUntil: until)
                }
                return input
            }
        } catch {
            throw SegmentationJobError(.store, "cannot read purchases from \(database.path): \(error)")
        }
    }

    // MARK: Writing

    private struct Current {
        var tier: String
        var token: String
        var firstName: String?
        var profiled: Bool
        var segment: String?
        var segmentTier: String?
    }

    private func write(_ db: Database, result: SegmentationResult?, input: Input, config: SegmentationConfig, runID: String,
                       started: Timestamp) throws -> SegmentationReport {
        let now = Timestamp.now().rfc3339
        let asOf = config.asOf.iso
        var current: [String: Current] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT c.customer_id, c.tier, c.token, c.first_name, c.profiling_consent, s.segment, s.tier
            FROM customers c LEFT JOIN customer_segments s USING (customer_id)
            """)
        while let row = try rows.next() {
            current[row[0]] = Current(tier: row[1], token: row[2], firstName: row[3], profiled: row[4], segment: row[5], segmentTier: row[6])
        }

        // Manual tiers count for profiled customers only: an objector is never tiered.
        var states = result?.tierStates ?? [:]
        var reasons: [String: String] = [:]
        for change in result?.tierChanges ?? [] { reasons[change.customerID] = change.reason.rawValue }
        if result == nil {
            // No purchases at all: manual tiers still apply.
            for (id, tier) in config.manualTiers { states[id] = TierState(tier: tier, qualifiedUntil: config.asOf) }
        }
        states = states.filter { current[$0.key]?.profiled == true }

        try Schema.beginBulkChange(db)
        let insertRun = try db.makeStatement(sql: """
            INSERT INTO segmentation_runs (run_id, as_of, time_unit, started_at, finished_at, customers, excluded, purchases,
                bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b, bgnbd_log_likelihood, gg_p, gg_q, gg_v, gg_log_likelihood,
                segment_changes, tier_changes, warnings)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?)
            """)
        var warnings = result?.warnings ?? []
        if input.unreadable > 0 { warnings.append("\(input.unreadable) sales with an unreadable day or total were left out") }
        if result == nil { warnings.append("no purchases by profiled customers on or before \(asOf)") }
        let bg = result?.bgnbd
        let gg = result?.gammaGamma
        try insertRun.execute(arguments: [
            runID, asOf, config.unit.rawValue, started.rfc3339, now, result?.customers.count ?? 0, input.excluded, input.purchases.count,
            bg?.r, bg?.alpha, bg?.a, bg?.b, result?.bgnbdLogLikelihood, gg?.p, gg?.q, gg?.v, result?.gammaGammaLogLikelihood,
            warnings.joined(separator: "\n"),
        ])

        let upsert = try db.makeStatement(sql: """
            INSERT INTO customer_segments (customer_id, segment, r_score, f_score, m_score, recency_days, frequency, monetary,
                repeat_purchases, total_spend, p_alive, expected_purchases, clv, tier, tier_qualified_until, as_of, run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (customer_id) DO UPDATE SET segment = excluded.segment, r_score = excluded.r_score,
                f_score = excluded.f_score, m_score = excluded.m_score, recency_days = excluded.recency_days,
                frequency = excluded.frequency, monetary = excluded.monetary, repeat_purchases = excluded.repeat_purchases,
                total_spend = excluded.total_spend, p_alive = excluded.p_alive, expected_purchases = excluded.expected_purchases,
                clv = excluded.clv, tier = excluded.tier, tier_qualified_until = excluded.tier_qualified_until,
                as_of = excluded.as_of, run_id = excluded.run_id
            """)
        let setTier = try db.makeStatement(sql: "UPDATE customers SET tier = ?, updated_at = ? WHERE customer_id = ?")
        let history = try db.makeStatement(sql: """
            INSERT INTO tier_history (customer_id, from_tier, to_tier, reason, changed_at, as_of, run_id) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        let outbox = try db.makeStatement(sql: """
            INSERT INTO segment_outbox (change_id, customer_id, token, segment, tier, previous_tier, run_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var published = 0
        var tierChanges = 0
        var segmentChanges = 0
        var segmentCounts: [String: Int] = [:]
        func changeTier(_ id: String, from: String, to: String, reason: String) throws {
            try setTier.execute(arguments: [to, now, id])
            try history.execute(arguments: [id, from, to, reason, now, asOf, runID])
            tierChanges += 1
        }
        func announce(_ id: String, token: String, segment: String, tier: String, previous: String) throws {
            try outbox.execute(arguments: [UUID().uuidString.lowercased(), id, token, segment, tier, previous == tier ? nil : previous, runID, now])
            published += 1
        }

        var scored = Set<String>()
        var top: [(clv: Double, id: String, segment: String, tier: String)] = []
        for customer in result?.customers ?? [] {
            guard let before = current[customer.customerID] else { continue }
            scored.insert(customer.customerID)
            let segment = customer.rfm?.segment ?? Self.inactiveSegment
            segmentCounts[segment, default: 0] += 1
            let state = states[customer.customerID]
            let tier = managesTiers ? (state?.tier ?? settings.baseTier) : before.tier
            let rfm = customer.rfm
            try upsert.execute(arguments: [
                customer.customerID, segment, rfm?.r, rfm?.f, rfm?.m, rfm?.recencyDays, rfm?.frequency,
                rfm.map { DecimalText.format($0.monetary) }, customer.summary.frequency, DecimalText.format(customer.summary.totalSpend),
                customer.pAlive, customer.expectedPurchases, customer.clv, managesTiers ? tier : nil,
                managesTiers ? state?.qualifiedUntil.iso : nil, asOf, runID,
            ])
            if tier != before.tier {
                try changeTier(customer.customerID, from: before.tier, to: tier, reason: reasons[customer.customerID] ?? "reconciled")
            }
            if segment != before.segment { segmentChanges += 1 }
            if segment != before.segment || tier != before.tier {
                try announce(customer.customerID, token: before.token, segment: segment, tier: tier, previous: before.tier)
            }
            if let clv = customer.clv, clv.isFinite { top.append((clv, customer.customerID, segment, tier)) }
        }
        // Manually tiered customers without purchases get a tier but no segment row.
        for (id, state) in states.sorted(by: { $0.key < $1.key }) where !scored.contains(id) {
            guard let before = current[id], managesTiers, state.tier != before.tier else { continue }
            try changeTier(id, from: before.tier, to: state.tier, reason: reasons[id] ?? TierChange.Reason.manual.rawValue)
            try announce(id, token: before.token, segment: before.segment ?? Self.inactiveSegment, tier: state.tier, previous: before.tier)
        }

        // Whoever had a segment and was not scored now (objected, or erased purchases) loses it, and the
        // tier segmentation gave them.
        var removed = 0
        let delete = try db.makeStatement(sql: "DELETE FROM customer_segments WHERE customer_id = ?")
        for (id, before) in current.sorted(by: { $0.key < $1.key }) where before.segment != nil && !scored.contains(id) && states[id] == nil {
            try delete.execute(arguments: [id])
            removed += 1
            var tier = before.tier
            if managesTiers, before.segmentTier != nil || !before.profiled, before.tier != settings.baseTier {
                tier = settings.baseTier
                try changeTier(id, from: before.tier, to: tier, reason: before.profiled ? "unscored" : "objected")
            }
            try announce(id, token: before.token, segment: "", tier: tier, previous: before.tier)
        }
        try db.execute(sql: "UPDATE segmentation_runs SET segment_changes = ?, tier_changes = ? WHERE run_id = ?",
                       arguments: [segmentChanges, tierChanges, runID])
        try Schema.endBulkChange(db, changed: tierChanges > 0)

        var tierCounts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT tier, count(*) FROM customers GROUP BY tier") {
            tierCounts[row[0]] = row[1]
        }
        top.sort { $0.clv != $1.clv ? $0.clv > $1.clv : $0.id < $1.id }
        let topCustomers = top.prefix(topCount).map { entry in
            SegmentationReport.TopCustomer(token: current[entry.id]!.token, firstName: current[entry.id]!.firstName, clv: entry.clv,
                                           segment: entry.segment, tier: entry.tier)
        }
        return SegmentationReport(
            runID: runID, asOf: asOf, timeUnit: config.unit.rawValue, customers: scored.count, excluded: input.excluded,
            purchases: input.purchases.count,
            bgnbd: bg.map { .init(r: $0.r, alpha: $0.alpha, a: $0.a, b: $0.b, logLikelihood: result?.bgnbdLogLikelihood ?? .nan) },
            gammaGamma: gg.map { .init(p: $0.p, q: $0.q, v: $0.v, logLikelihood: result?.gammaGammaLogLikelihood ?? .nan) },
            segments: segmentCounts, tiers: tierCounts, tierChanges: tierChanges, published: published,
            removed: removed, topCustomers: Array(topCustomers), warnings: warnings)
    }
}
