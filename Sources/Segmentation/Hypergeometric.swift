import Foundation

/// The Gauss hypergeometric function ₂F₁(a, b; c; z) for real arguments.
///
/// Valid region: real a, b, c with c not a non-positive integer, and real z ≤ 1, with z = 1
/// only when c − a − b > 0 (Gauss's summation theorem). Strategy:
/// - 0 ≤ z < 1: the defining power series Σ (a)ₙ(b)ₙ/((c)ₙ n!) zⁿ, summed until a geometric
///   bound on the tail is below the tolerance. Its cost grows like 1/(1 − z); near z = 1 callers
///   should pre-apply Euler's transformation ₂F₁(a,b;c;z) = (1−z)^(c−a−b) ₂F₁(c−a, c−b; c; z)
///   when it makes the numerator parameters small (the BG/NBD code does exactly this).
/// - z < 0: Pfaff's transformation ₂F₁(a,b;c;z) = (1−z)^(−a) ₂F₁(a, c−b; c; z/(z−1)) maps z to
///   [0, 1), avoiding the cancellation of an alternating series (and covering z ≤ −1, where the
///   raw series diverges).
/// - z = 1: Γ(c)Γ(c−a−b) / (Γ(c−a)Γ(c−b)).
public enum Hypergeometric {
    /// Evaluates ₂F₁(a, b; c; z).
    ///
    /// - Parameters:
    ///   - tolerance: relative accuracy target for the series tail.
    ///   - maxTerms: term budget; exceeding it throws `.notConverged` rather than returning a guess.
    public static func f21(
        _ a: Double, _ b: Double, _ c: Double, _ z: Double, tolerance: Double = 1e-14, maxTerms: Int = 1_000_000
    ) throws(SegmentationError) -> Double {
        guard a.isFinite, b.isFinite, c.isFinite, z.isFinite else {
            throw SegmentationError(.invalidInput, "2F1 arguments must be finite (a=\(a), b=\(b), c=\(c), z=\(z))")
        }
        if c <= 0 && c == c.rounded() {
            throw SegmentationError(.invalidInput, "2F1 is undefined for c a non-positive integer (c=\(c))")
        }
        if z > 1 {
            throw SegmentationError(.invalidInput, "2F1 is only implemented for real z ≤ 1 (z=\(z))")
        }
        if z == 1 {
            guard c - a - b > 0 else {
                throw SegmentationError(.invalidInput, "2F1 at z=1 diverges unless c−a−b > 0 (c−a−b=\(c - a - b))")
            }
            return tgamma(c) * tgamma(c - a - b) / (tgamma(c - a) * tgamma(c - b))
        }
        if z < 0 {
            let w = z / (z - 1)
            return pow(1 - z, -a) * (try series(a, c - b, c, w, tolerance: tolerance, maxTerms: maxTerms))
        }
        return try series(a, b, c, z, tolerance: tolerance, maxTerms: maxTerms)
    }

    /// The raw power series for 0 ≤ z < 1.
    static func series(
        _ a: Double, _ b: Double, _ c: Double, _ z: Double, tolerance: Double, maxTerms: Int
    ) throws(SegmentationError) -> Double {
        var term = 1.0
        var sum = 1.0
        if z == 0 { return 1 }
        for n in 0..<maxTerms {
            let nd = Double(n)
            // Term ratio t(n+1)/t(n) = (a+n)(b+n) / ((c+n)(n+1)) · z.
            let factor = (a + nd) * (b + nd) / ((c + nd) * (nd + 1))
            term *= factor * z
            sum += term
            guard sum.isFinite else {
                throw SegmentationError(.notConverged, "2F1(\(a), \(b); \(c); \(z)) series overflowed at term \(n + 1)")
            }
            if term == 0 { return sum }  // a or b a non-positive integer: a polynomial, exact.
            // The ratio tends to z from a factor f(n) that is eventually monotone towards 1, so once
            // ρ = z·max(f, 1) < 1 the remaining tail is bounded by |t|·ρ/(1−ρ). "Eventually" is taken
            // as n beyond |a| + |b| + |c|, past any early growth or sign change of the factor.
            let nextFactor = (a + nd + 1) * (b + nd + 1) / ((c + nd + 1) * (nd + 2))
            let rho = z * max(abs(nextFactor), 1)
            if rho < 1 && nd > abs(a) + abs(b) + abs(c) {
                let tail = abs(term) * rho / (1 - rho)
                if tail <= tolerance * abs(sum) { return sum }
            }
        }
        throw SegmentationError(
            .notConverged, "2F1(\(a), \(b); \(c); \(z)) did not converge in \(maxTerms) terms")
    }
}
