import Foundation

/// Parameters of the Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: Using
/// Iso-Value Curves for Customer Base Analysis"; Fader & Hardie 2013 note): each transaction
/// value z ~ Gamma(shape p, rate ν), and across customers ν ~ Gamma(shape q, rate v).
///
/// CDNOW estimates: p = 6.25, q = 3.74, v (γ) = 15.44.
public struct GammaGammaParameters: Sendable, Hashable, Codable {
    /// Shape of the per-transaction spend distribution.
    public var p: Double
    /// Shape of the heterogeneity in the spend rate ν (must exceed 1 for a finite mean).
    public var q: Double
    /// Rate (γ in the paper) of the heterogeneity in ν, in money units.
    public var v: Double

    /// Creates a parameter set.
    public init(p: Double, q: Double, v: Double) {
        self.p = p
        self.q = q
        self.v = v
    }

    /// Whether every parameter is finite and positive.
    public var isValid: Bool {
        [p, q, v].allSatisfy { $0.isFinite && $0 > 0 }
    }

    /// Population mean spend per transaction, E[Z] = p·v/(q−1) (infinite when q ≤ 1).
    public var populationMeanSpend: Double {
        q > 1 ? p * v / (q - 1) : .infinity
    }

    /// Individual log-likelihood of an observed mean spend m̄ over x transactions. The mean of x
    /// Gamma(p, ν) draws is Gamma(px, νx); integrating ν over Gamma(q, v) gives
    /// ln f = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m̄ + px ln x − (px+q) ln(v + x m̄).
    public func logLikelihood(x: Int, meanSpend: Double) -> Double {
        let xd = Double(x)
        let px = p * xd
        return lgamma(px + q) - lgamma(px) - lgamma(q) + q * log(v) + (px - 1) * log(meanSpend)
            + px * log(xd) - (px + q) * log(v + xd * meanSpend)
    }

    /// Conditional expected spend per transaction, E[Z | p, q, v, m̄, x] = p(v + x m̄)/(px + q − 1):
    /// a credibility-weighted blend of the population mean and the customer's own mean.
    /// With x = 0 (no repeat spend observed) this is the population mean.
    public func expectedAverageSpend(x: Int, meanSpend: Double) -> Double {
        guard x > 0 else { return populationMeanSpend }
        let xd = Double(x)
        return p * (v + xd * meanSpend) / (p * xd + q - 1)
    }
}

/// One repeat buyer's input to the Gamma-Gamma model.
public struct GammaGammaObservation: Sendable, Hashable, Codable {
    /// Number of repeat transactions x (≥ 1).
    public var x: Int
    /// Mean spend over those transactions (> 0).
    public var meanSpend: Double

    /// Creates an observation.
    public init(x: Int, meanSpend: Double) {
        self.x = x
        self.meanSpend = meanSpend
    }
}

/// The result of a Gamma-Gamma maximum-likelihood fit.
public struct GammaGammaFit: Sendable, Hashable, Codable {
    /// The maximum-likelihood estimates.
    public var parameters: GammaGammaParameters
    /// Total log-likelihood at the estimates.
    public var logLikelihood: Double
    /// Number of repeat buyers used.
    public var customers: Int
    /// Objective evaluations used by the optimiser.
    public var evaluations: Int
    /// Whether the optimiser met its tolerances.
    public var converged: Bool
}

/// Fitting the Gamma-Gamma model.
public enum GammaGamma {
    /// Fits (p, q, v) by maximum likelihood on repeat buyers, over log-parameters with
    /// ``NelderMead``. Observations with x < 1 or non-positive mean spend carry no spend
    /// information (ln m̄ is undefined) and are skipped. Throws `.insufficientData` with fewer
    /// than 3 usable observations, `.nonFiniteFit` if the optimum is not finite.
    public static func fit(
        _ observations: [GammaGammaObservation], options: NelderMead.Options = NelderMead.Options()
    ) throws(SegmentationError) -> GammaGammaFit {
        let usable = observations.filter { $0.x > 0 && $0.meanSpend > 0 && $0.meanSpend.isFinite }
        guard usable.count >= 3 else {
            throw SegmentationError(.insufficientData, "Gamma-Gamma fit needs at least 3 repeat buyers with positive spend (got \(usable.count))")
        }
        func negativeLL(_ theta: [Double]) -> Double {
            let g = GammaGammaParameters(p: exp(theta[0]), q: exp(theta[1]), v: exp(theta[2]))
            guard g.isValid else { return .infinity }
            var total = 0.0
            for o in usable { total += g.logLikelihood(x: o.x, meanSpend: o.meanSpend) }
            return -total
        }
        // Start at p = 1, q = 2 (finite mean) with v matching the observed mean spend.
        let meanSpend = usable.reduce(0) { $0 + $1.meanSpend } / Double(usable.count)
        let result = NelderMead.minimize(negativeLL, start: [0, log(2), log(max(meanSpend, 1e-9))], options: options)
        let g = GammaGammaParameters(p: exp(result.x[0]), q: exp(result.x[1]), v: exp(result.x[2]))
        guard result.value.isFinite, g.isValid else {
            throw SegmentationError(.nonFiniteFit, "Gamma-Gamma fit ended at a non-finite likelihood (\(g))")
        }
        return GammaGammaFit(
            parameters: g, logLikelihood: -result.value, customers: usable.count,
            evaluations: result.evaluations, converged: result.converged)
    }

    /// Fits on customer summaries: (frequency, monetary) of customers with frequency > 0.
    public static func fit(
        summaries: [CustomerSummary], options: NelderMead.Options = NelderMead.Options()
    ) throws(SegmentationError) -> GammaGammaFit {
        try fit(summaries.map { GammaGammaObservation(x: $0.frequency, meanSpend: $0.monetaryValue) }, options: options)
    }
}
