import Foundation

/// How customer lifetime value is discretised and discounted.
///
/// Discretisation: the horizon H (in model units) is cut into K = ⌈H / step⌉ steps of length
/// `step` (the last one truncated at H). Expected purchases in step k are the difference of the
/// BG/NBD conditional expectation, ΔE_k = E[Y(t_k)] − E[Y(t_{k−1})], with t_k = min(k·step, H),
/// so the per-step counts add up exactly to E[Y(H)]. Each step's purchases are valued at the
/// Gamma-Gamma expected spend and discounted to the as-of day at the *end* of the step:
///
///     CLV = margin · E[Z | m̄, x] · Σ_k ΔE_k / (1 + d)^(t_k · unitDays / 365.25)
///
/// where d is the annual discount rate. Because ΔE_k ≥ 0 and every factor is positive, CLV
/// is non-decreasing in the horizon.
public struct CLVOptions: Sendable, Hashable, Codable {
    /// Horizon H in the model's time unit (e.g. 52 weeks ≈ 12 months).
    public var horizon: Double
    /// Step length in the model's time unit (e.g. 52/12 weeks ≈ one month).
    public var step: Double
    /// Annual discount rate (0.10 = 10 % a year), converted to each step's exact length.
    public var annualDiscountRate: Double
    /// Gross margin applied to spend (1 = revenue CLV).
    public var margin: Double

    /// Creates options; the default is 52 weeks in monthly steps at 10 % a year, revenue CLV.
    public init(horizon: Double = 52, step: Double = 52.0 / 12.0, annualDiscountRate: Double = 0.10, margin: Double = 1) {
        self.horizon = horizon
        self.step = step
        self.annualDiscountRate = annualDiscountRate
        self.margin = margin
    }
}

/// Customer lifetime value from BG/NBD purchases × Gamma-Gamma spend.
public enum CLV {
    /// Discounted expected value of one customer over ``CLVOptions/horizon``.
    ///
    /// - Parameters:
    ///   - observation: the customer's (x, t_x, T) in `unit`.
    ///   - expectedSpend: expected spend per purchase (usually
    ///     ``GammaGammaParameters/expectedAverageSpend(x:meanSpend:)``).
    ///   - unit: the time unit of the model, used to turn step ends into years for discounting.
    public static func value(
        bgnbd: BGNBDParameters, observation: BGNBDObservation, expectedSpend: Double,
        options: CLVOptions, unit: TimeUnit
    ) throws(SegmentationError) -> Double {
        guard options.horizon.isFinite, options.horizon >= 0, options.step.isFinite, options.step > 0 else {
            throw SegmentationError(.invalidInput, "CLV needs horizon ≥ 0 and step > 0 (\(options))")
        }
        guard options.annualDiscountRate.isFinite, options.annualDiscountRate > -1 else {
            throw SegmentationError(.invalidInput, "CLV discount rate must be > −1 (\(options.annualDiscountRate))")
        }
        guard expectedSpend.isFinite else {
            throw SegmentationError(.invalidInput, "CLV needs a finite expected spend (\(expectedSpend))")
        }
        let steps = Int((options.horizon / options.step).rounded(.up))
        var previous = 0.0
        var discountedPurchases = 0.0
        for k in stride(from: 1, through: steps, by: 1) {
            let end = min(Double(k) * options.step, options.horizon)
            let cumulative = try bgnbd.expectedPurchases(in: end, given: observation)
            let years = end * unit.days / 365.25
            discountedPurchases += max(cumulative - previous, 0) / pow(1 + options.annualDiscountRate, years)
            previous = max(previous, cumulative)
        }
        return options.margin * expectedSpend * discountedPurchases
    }
}
