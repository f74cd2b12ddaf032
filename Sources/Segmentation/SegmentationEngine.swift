import Foundation

/// Everything one segmentation run needs besides the purchases; config-friendly.
public struct SegmentationConfig: Sendable, Hashable, Codable {
    /// The evaluation day (inclusive); later purchases are ignored.
    public var asOf: Day
    /// Time unit of the BTYD models (t_x, T, α, horizons).
    public var unit: TimeUnit
    /// RFM window length in days.
    public var rfmWindowDays: Int
    /// RFM segment map, first match wins.
    public var rfmRules: [RFMSegmentRule]
    /// CLV horizon, steps and discounting; `clv.horizon` is also the horizon of `expectedPurchases`.
    public var clv: CLVOptions
    /// Tier definitions, highest first.
    public var tiers: [TierDefinition]
    /// Manual tier overrides (customer id → tier), which always win.
    public var manualTiers: [String: String]
    /// Days a tier is kept after the customer last qualified.
    public var graceDays: Int
    /// Optimiser settings for both fits.
    public var fitOptions: NelderMead.Options

    /// Creates a config with the reference defaults (weeks, 365-day RFM, default map, 52-week CLV).
    public init(
        asOf: Day, unit: TimeUnit = .weeks, rfmWindowDays: Int = 365,
        rfmRules: [RFMSegmentRule] = RFMSegmentRule.defaultMap, clv: CLVOptions = CLVOptions(),
        tiers: [TierDefinition] = [], manualTiers: [String: String] = [:], graceDays: Int = 0,
        fitOptions: NelderMead.Options = NelderMead.Options()
    ) {
        self.asOf = asOf
        self.unit = unit
        self.rfmWindowDays = rfmWindowDays
        self.rfmRules = rfmRules
        self.clv = clv
        self.tiers = tiers
        self.manualTiers = manualTiers
        self.graceDays = graceDays
        self.fitOptions = fitOptions
    }
}

/// One customer's segmentation output.
public struct CustomerSegmentation: Sendable, Hashable, Codable {
    /// The customer's identifier.
    public var customerID: String
    /// The BTYD summary.
    public var summary: CustomerSummary
    /// RFM scores and segment; nil if the customer has no purchase in the RFM window.
    public var rfm: RFMScore?
    /// P(alive); nil if the BG/NBD model could not be fitted.
    public var pAlive: Double?
    /// Expected purchases over `config.clv.horizon`; nil without a BG/NBD fit.
    public var expectedPurchases: Double?
    /// Gamma-Gamma expected spend per purchase; nil without a Gamma-Gamma fit.
    public var expectedSpend: Double?
    /// Discounted CLV over the horizon; nil unless both models were fitted.
    public var clv: Double?
    /// The tier after overrides and grace, if any.
    public var tier: String?
}

/// The aggregate result of a run; `Codable` for `--json` output.
public struct SegmentationResult: Sendable, Hashable, Codable {
    /// The evaluation day.
    public var asOf: Day
    /// The model time unit.
    public var unit: TimeUnit
    /// Per-customer results, sorted by customer id.
    public var customers: [CustomerSegmentation]
    /// Fitted BG/NBD parameters (nil if the fit failed; see ``warnings``).
    public var bgnbd: BGNBDParameters?
    /// BG/NBD log-likelihood at the fit.
    public var bgnbdLogLikelihood: Double?
    /// Fitted Gamma-Gamma parameters (nil if the fit failed; see ``warnings``).
    public var gammaGamma: GammaGammaParameters?
    /// Gamma-Gamma log-likelihood at the fit.
    public var gammaGammaLogLikelihood: Double?
    /// Number of RFM-scored customers per segment.
    public var segmentCounts: [String: Int]
    /// Tier states to persist for the next run.
    public var tierStates: [String: TierState]
    /// Tier changes against the previous states.
    public var tierChanges: [TierChange]
    /// Non-fatal problems (e.g. a model that could not be fitted on too little data).
    public var warnings: [String]
}

/// Runs the whole pipeline: summaries → RFM → BG/NBD + Gamma-Gamma → CLV → tiers.
public enum SegmentationEngine {
    /// Segments the customers in `purchases` as of `config.asOf`.
    ///
    /// Throws `.noPurchases` when there is no purchase on or before the as-of day and
    /// `.invalidInput` for a NaN amount. Model fits that fail on too little data do not throw:
    /// the model fields are nil and the reason is in ``SegmentationResult/warnings``, so RFM and
    /// tiers still work for a young store.
    public static func run(
        purchases: [Purchase], config: SegmentationConfig, previousTiers: [String: TierState] = [:]
    ) throws(SegmentationError) -> SegmentationResult {
        for purchase in purchases where purchase.amount.isNaN {
            throw SegmentationError(.invalidInput, "purchase by \(purchase.customerID) on \(purchase.date) has a NaN amount")
        }
        let summaries = summarize(purchases: purchases, asOf: config.asOf, unit: config.unit)
        guard !summaries.isEmpty else {
            throw SegmentationError(.noPurchases, "no purchases on or before \(config.asOf)")
        }
        let rfm = RFM.score(purchases: purchases, asOf: config.asOf, windowDays: config.rfmWindowDays, rules: config.rfmRules)
        let rfmByID = Dictionary(uniqueKeysWithValues: rfm.map { ($0.customerID, $0) })
        var warnings: [String] = []
        var bgFit: BGNBDFit?
        var ggFit: GammaGammaFit?
        do {
            bgFit = try BGNBD.fit(summaries: summaries, options: config.fitOptions)
        } catch {
            warnings.append("BG/NBD not fitted: \(error)")
        }
        do {
            ggFit = try GammaGamma.fit(summaries: summaries, options: config.fitOptions)
            if let q = ggFit?.parameters.q, q <= 1 {
                warnings.append("Gamma-Gamma q = \(q) ≤ 1: mean spend is infinite; spend and CLV omitted")
                ggFit = nil
            }
        } catch {
            warnings.append("Gamma-Gamma not fitted: \(error)")
        }

        var customers: [CustomerSegmentation] = []
        customers.reserveCapacity(summaries.count)
        for summary in summaries {
            let observation = summary.bgnbdObservation
            var row = CustomerSegmentation(
                customerID: summary.customerID, summary: summary, rfm: rfmByID[summary.customerID],
                pAlive: nil, expectedPurchases: nil, expectedSpend: nil, clv: nil, tier: nil)
            if let g = ggFit?.parameters {
                row.expectedSpend = g.expectedAverageSpend(x: summary.frequency, meanSpend: summary.monetaryValue)
            }
            if let p = bgFit?.parameters {
                row.pAlive = p.probabilityAlive(observation)
                do {
                    row.expectedPurchases = try p.expectedPurchases(in: config.clv.horizon, given: observation)
                    if let spend = row.expectedSpend {
                        row.clv = try CLV.value(
                            bgnbd: p, observation: observation, expectedSpend: spend, options: config.clv, unit: config.unit)
                    }
                } catch {
                    warnings.append("customer \(summary.customerID): \(error)")
                }
            }
            customers.append(row)
        }

        let facts = customers.map {
            TierFacts(customerID: $0.customerID, clv: $0.clv, totalSpend: $0.summary.totalSpend, rfmSegment: $0.rfm?.segment)
        }
        let tiers = Tiers.evaluate(
            definitions: config.tiers, facts: facts, purchases: purchases.filter { $0.date <= config.asOf },
            asOf: config.asOf, previous: previousTiers, manual: config.manualTiers, graceDays: config.graceDays)
        for index in customers.indices {
            customers[index].tier = tiers.states[customers[index].customerID]?.tier
        }
        var counts: [String: Int] = [:]
        for score in rfm { counts[score.segment, default: 0] += 1 }

        return SegmentationResult(
            asOf: config.asOf, unit: config.unit, customers: customers,
            bgnbd: bgFit?.parameters, bgnbdLogLikelihood: bgFit?.logLikelihood,
            gammaGamma: ggFit?.parameters, gammaGammaLogLikelihood: ggFit?.logLikelihood,
            segmentCounts: counts, tierStates: tiers.states, tierChanges: tiers.changes, warnings: warnings)
    }
}
