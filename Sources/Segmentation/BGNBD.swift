import Foundation

/// Parameters of the BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy
/// Way"): purchase rate λ ~ Gamma(shape r, rate α) while alive; after each repeat purchase the
/// customer drops out with probability p ~ Beta(a, b).
///
/// `alpha` is a rate in the summaries' ``TimeUnit`` (e.g. CDNOW in weeks: r = 0.243,
/// α = 4.414, a = 0.793, b = 2.426).
public struct BGNBDParameters: Sendable, Hashable, Codable {
    /// Shape of the Gamma heterogeneity in purchase rates.
    public var r: Double
    /// Rate (inverse scale) of the Gamma heterogeneity, in 1/unit.
    public var alpha: Double
    /// First Beta shape of the dropout probability.
    public var a: Double
    /// Second Beta shape of the dropout probability.
    public var b: Double

    /// Creates a parameter set (all four must be positive and finite to be valid).
    public init(r: Double, alpha: Double, a: Double, b: Double) {
        self.r = r
        self.alpha = alpha
        self.a = a
        self.b = b
    }

    /// Whether every parameter is finite and positive.
    public var isValid: Bool {
        [r, alpha, a, b].allSatisfy { $0.isFinite && $0 > 0 }
    }

    /// Individual log-likelihood ln L(r, α, a, b | x, t_x, T), FHL 2005 eq. (6):
    /// L = A₁·A₂·(A₃ + δ₍ₓ>₀₎A₄) with
    /// ln A₁ = ln Γ(r+x) − ln Γ(r) + r ln α,
    /// ln A₂ = ln B(a, b+x) − ln B(a, b) = ln Γ(a+b) + ln Γ(b+x) − ln Γ(b) − ln Γ(a+b+x),
    /// ln A₃ = −(r+x) ln(α+T),
    /// ln A₄ = ln a − ln(b+x−1) − (r+x) ln(α+t_x).
    /// The sum A₃ + A₄ is formed by log-sum-exp because both terms underflow for large x.
    public func logLikelihood(_ o: BGNBDObservation) -> Double {
        let x = Double(o.x)
        let lnA1 = lgamma(r + x) - lgamma(r) + r * log(alpha)
        let lnA2 = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x)
        let lnA3 = -(r + x) * log(alpha + o.T)
        guard o.x > 0 else { return lnA1 + lnA2 + lnA3 }
        let lnA4 = log(a) - log(b + x - 1) - (r + x) * log(alpha + o.tx)
        return lnA1 + lnA2 + logSumExp(lnA3, lnA4)
    }

    /// Sum of individual log-likelihoods over `observations`.
    public func logLikelihood(_ observations: [BGNBDObservation]) -> Double {
        observations.reduce(0) { $0 + logLikelihood($1) }
    }

    /// P(alive | x, t_x, T), FHL 2005 eq. (13):
    /// 1 / (1 + δ₍ₓ>₀₎ · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
    /// A customer with no repeat purchase cannot have dropped out (dropout happens only after a
    /// repeat purchase), so P(alive) = 1 when x = 0.
    public func probabilityAlive(_ o: BGNBDObservation) -> Double {
        guard o.x > 0 else { return 1 }
        let x = Double(o.x)
        let logRatio = log(a) - log(b + x - 1) + (r + x) * (log(alpha + o.T) - log(alpha + o.tx))
        // 1/(1+e^u) computed without overflow for large u.
        return logRatio > 0 ? exp(-logRatio) / (1 + exp(-logRatio)) : 1 / (1 + exp(logRatio))
    }

    /// Expected number of purchases in (T, T + t] given the history, FHL 2005 eq. (10):
    ///
    /// E[Y(t) | x, t_x, T] = [(a+b+x−1)/(a−1)] · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)]
    ///                       / [1 + δ₍ₓ>₀₎ a/(b+x−1) ((α+T)/(α+t_x))^(r+x)],   z = t/(α+T+t).
    ///
    /// The denominator is 1/P(alive). The ₂F₁ term is evaluated after Euler's transformation,
    /// (1−z)^(r+x) ₂F₁(r+x, b+x; c; z) = (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z), whose
    /// numerator parameters do not grow with x, so the series neither overflows nor needs
    /// hundreds of terms for heavy buyers. At a = 1 the expression is a removable 0/0; there the
    /// symmetric average of a = 1 ± 10⁻⁵ is used.
    ///
    /// With x = 0, t_x = 0, T = 0 this is the unconditional E[X(t)] of a new customer (eq. 7).
    public func expectedPurchases(in t: Double, given o: BGNBDObservation) throws(SegmentationError) -> Double {
        guard isValid else { throw SegmentationError(.invalidParameters, "BG/NBD parameters must be positive: \(self)") }
        guard t.isFinite, t >= 0, o.T >= 0, o.tx >= 0, o.x >= 0 else {
            throw SegmentationError(.invalidInput, "expectedPurchases needs t ≥ 0 and a valid history (t=\(t), \(o))")
        }
        if t == 0 { return 0 }
        if abs(a - 1) < 1e-7 {
            let h = 1e-5
            var lower = self, upper = self
            lower.a = 1 - h
            upper.a = 1 + h
            return (try lower.expectedPurchases(in: t, given: o) + upper.expectedPurchases(in: t, given: o)) / 2
        }
        let x = Double(o.x)
        let z = t / (alpha + o.T + t)
        let f = try Hypergeometric.f21(a + b - 1 - r, a - 1, a + b + x - 1, z)
        let bracket = 1 - pow(1 - z, a - 1) * f
        let value = (a + b + x - 1) / (a - 1) * bracket * probabilityAlive(o)
        guard value.isFinite else {
            throw SegmentationError(.notConverged, "expectedPurchases is not finite for \(self), \(o), t=\(t)")
        }
        return max(value, 0)
    }

    /// Unconditional expected repeat purchases of a newly acquired customer in (0, t], FHL eq. (7).
    public func expectedPurchasesNewCustomer(in t: Double) throws(SegmentationError) -> Double {
        try expectedPurchases(in: t, given: BGNBDObservation(x: 0, tx: 0, T: 0))
    }
}

/// The result of a BG/NBD maximum-likelihood fit.
public struct BGNBDFit: Sendable, Hashable, Codable {
    /// The maximum-likelihood estimates.
    public var parameters: BGNBDParameters
    /// Total log-likelihood at the estimates.
    public var logLikelihood: Double
    /// Number of customers used.
    public var customers: Int
    /// Objective evaluations used by the optimiser.
    public var evaluations: Int
    /// Whether the optimiser met its tolerances.
    public var converged: Bool
}

/// Fitting the BG/NBD model.
public enum BGNBD {
    /// Fits (r, α, a, b) by maximum likelihood.
    ///
    /// Optimises over log-parameters with ``NelderMead`` so positivity is automatic. Identical
    /// (x, t_x, T) triples are grouped and weighted, which makes day-granular data cheap.
    /// Throws `.noPurchases` for an empty input, `.insufficientData` if no customer ever repeats
    /// (the dropout process is then unidentified), `.nonFiniteFit` if the optimum is not finite.
    public static func fit(
        _ observations: [BGNBDObservation], options: NelderMead.Options = NelderMead.Options()
    ) throws(SegmentationError) -> BGNBDFit {
        guard !observations.isEmpty else { throw SegmentationError(.noPurchases, "BG/NBD fit needs at least one customer") }
        for o in observations where !(o.x >= 0 && o.tx >= 0 && o.T >= o.tx && o.T.isFinite) {
            throw SegmentationError(.invalidInput, "BG/NBD observation needs x ≥ 0 and 0 ≤ t_x ≤ T: \(o)")
        }
        guard observations.contains(where: { $0.x > 0 }) else {
            throw SegmentationError(.insufficientData, "BG/NBD fit needs at least one repeat purchase")
        }
        var groups: [BGNBDObservation: Double] = [:]
        for o in observations { groups[o, default: 0] += 1 }
        let keys = groups.keys.sorted { ($0.x, $0.tx, $0.T) < ($1.x, $1.tx, $1.T) }
        let weights = keys.map { groups[$0]! }
        func negativeLL(_ theta: [Double]) -> Double {
            let p = BGNBDParameters(r: exp(theta[0]), alpha: exp(theta[1]), a: exp(theta[2]), b: exp(theta[3]))
            guard p.isValid else { return .infinity }
            var total = 0.0
            for (index, o) in keys.enumerated() { total += weights[index] * p.logLikelihood(o) }
            return -total
        }
        // Start at r = a = b = 1 with α matching the mean repeat rate (E[λ] = r/α).
        let meanT = observations.reduce(0) { $0 + $1.T } / Double(observations.count)
        let meanX = observations.reduce(0) { $0 + Double($1.x) } / Double(observations.count)
        let alpha0 = max(meanT, 1e-3) / max(meanX, 1e-3)
        let result = NelderMead.minimize(negativeLL, start: [0, log(alpha0), 0, 0], options: options)
        let p = BGNBDParameters(r: exp(result.x[0]), alpha: exp(result.x[1]), a: exp(result.x[2]), b: exp(result.x[3]))
        guard result.value.isFinite, p.isValid else {
            throw SegmentationError(.nonFiniteFit, "BG/NBD fit ended at a non-finite likelihood (\(p))")
        }
        return BGNBDFit(
            parameters: p, logLikelihood: -result.value, customers: observations.count,
            evaluations: result.evaluations, converged: result.converged)
    }

    /// Fits on customer summaries (see ``fit(_:options:)``).
    public static func fit(
        summaries: [CustomerSummary], options: NelderMead.Options = NelderMead.Options()
    ) throws(SegmentationError) -> BGNBDFit {
        try fit(summaries.map(\.bgnbdObservation), options: options)
    }
}

/// ln(eᵘ + eᵛ) without overflow or total underflow.
func logSumExp(_ u: Double, _ v: Double) -> Double {
    let m = max(u, v)
    guard m.isFinite else { return m }
    return m + log(exp(u - m) + exp(v - m))
}
