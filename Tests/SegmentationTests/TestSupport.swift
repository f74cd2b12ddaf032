import Foundation
import SeededRandom
@testable import Segmentation

/// The draws the simulations need, on the tests' seeded generator.
extension SplitMix64 {
    /// Uniform on the open interval (0, 1).
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) * 0x1p-53 }
    /// Standard normal by Box–Muller.
    mutating func normal() -> Double { sqrt(-2 * log(uniform())) * cos(2 * Double.pi * uniform()) }
    /// Exponential with the given rate.
    mutating func exponential(rate: Double) -> Double { -log(uniform()) / rate }
    /// Gamma(shape, rate) by Marsaglia & Tsang (2000), boosted for shape < 1.
    mutating func gamma(shape: Double, rate: Double) -> Double {
        if shape < 1 {
            return gamma(shape: shape + 1, rate: rate) * pow(uniform(), 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / sqrt(9 * d)
        while true {
            let x = normal()
            let v0 = 1 + c * x
            if v0 <= 0 { continue }
            let v = v0 * v0 * v0
            if log(uniform()) < 0.5 * x * x + d - d * v + d * log(v) { return d * v / rate }
        }
    }
    /// Beta(a, b) as a ratio of gammas.
    mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(shape: a, rate: 1)
        let y = gamma(shape: b, rate: 1)
        return x / (x + y)
    }
}

/// Simulates the BG/NBD story: λ ~ Gamma(r, α), p ~ Beta(a, b); Poisson purchases at rate λ after
/// the first purchase at time 0; after each repeat purchase the customer dies with probability p.
/// Customers are born uniformly in [0, birthSpread] and observed until `calibration`.
func simulateBGNBD(
    _ params: BGNBDParameters, customers: Int, calibration: Double, birthSpread: Double, rng: inout SplitMix64
) -> [BGNBDObservation] {
    (0..<customers).map { _ in
        let T = calibration - rng.uniform() * birthSpread
        let lambda = rng.gamma(shape: params.r, rate: params.alpha)
        let p = rng.beta(params.a, params.b)
        var t = 0.0, x = 0, tx = 0.0
        while true {
            t += rng.exponential(rate: lambda)
            if t > T { break }
            x += 1
            tx = t
            if rng.uniform() < p { break }
        }
        return BGNBDObservation(x: x, tx: tx, T: T)
    }
}

/// Simulates Gamma-Gamma spend: ν ~ Gamma(q, v); the mean of x Gamma(p, ν) transactions is Gamma(px, νx).
func simulateGammaGamma(_ g: GammaGammaParameters, customers: Int, rng: inout SplitMix64) -> [GammaGammaObservation] {
    (0..<customers).map { _ in
        let x = 1 + Int(rng.next() % 8)
        let nu = rng.gamma(shape: g.q, rate: g.v)
        let mean = rng.gamma(shape: g.p * Double(x), rate: nu * Double(x))
        return GammaGammaObservation(x: x, meanSpend: mean)
    }
}

func day(_ iso: String) -> Day { Day(iso: iso)! }

func relativeError(_ estimate: Double, _ truth: Double) -> Double { abs(estimate - truth) / abs(truth) }

/// Asymptotic standard errors: sqrt of the diagonal of the inverse observed information, from a
/// central-difference Hessian of the total log-likelihood in the natural parameters.
func standardErrors(at theta: [Double], logLikelihood: ([Double]) -> Double) -> [Double] {
    let n = theta.count
    let h = theta.map { 1e-3 * $0 }
    var hessian = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    func ll(_ di: Int, _ si: Double, _ dj: Int, _ sj: Double) -> Double {
        var t = theta
        t[di] += si * h[di]
        t[dj] += sj * h[dj]
        return logLikelihood(t)
    }
    for i in 0..<n {
        for j in i..<n {
            let value = (ll(i, 1, j, 1) - ll(i, 1, j, -1) - ll(i, -1, j, 1) + ll(i, -1, j, -1)) / (4 * h[i] * h[j])
            hessian[i][j] = value
            hessian[j][i] = value
        }
    }
    // Invert the information matrix −H by Gauss–Jordan elimination with partial pivoting.
    var a = hessian.map { $0.map { -$0 } }
    var inverse = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
    for column in 0..<n {
        let pivot = (column..<n).max { abs(a[$0][column]) < abs(a[$1][column]) }!
        a.swapAt(column, pivot)
        inverse.swapAt(column, pivot)
        let scale = a[column][column]
        for k in 0..<n { a[column][k] /= scale; inverse[column][k] /= scale }
        for row in 0..<n where row != column {
            let factor = a[row][column]
            for k in 0..<n { a[row][k] -= factor * a[column][k]; inverse[row][k] -= factor * inverse[column][k] }
        }
    }
    return (0..<n).map { sqrt(max(inverse[$0][$0], 0)) }
}

/// Simulates day-stamped purchases: BG/NBD timing in weeks (births spread over `birthSpreadWeeks`
/// before `start + calibrationWeeks`), Gamma-Gamma amounts rounded to cents.
func simulatePurchases(
    customers: Int, start: Day, calibrationWeeks: Double, birthSpreadWeeks: Double, rng: inout SplitMix64
) -> [Purchase] {
    var purchases: [Purchase] = []
    for index in 0..<customers {
        let id = String(format: "cust-%05d", index)
        let birth = rng.uniform() * birthSpreadWeeks
        let lambda = rng.gamma(shape: cdnowBG.r, rate: cdnowBG.alpha)
        let p = rng.beta(cdnowBG.a, cdnowBG.b)
        let nu = rng.gamma(shape: cdnowGG.q, rate: cdnowGG.v)
        func amount() -> Decimal {
            let cents = (rng.gamma(shape: cdnowGG.p, rate: nu) * 100).rounded()
            return Decimal(Int(max(cents, 1))) / 100
        }
        var t = birth
        purchases.append(Purchase(customerID: id, date: start.adding(days: Int(t * 7)), amount: amount()))
        while true {
            t += rng.exponential(rate: lambda)
            if t > calibrationWeeks { break }
            purchases.append(Purchase(customerID: id, date: start.adding(days: Int(t * 7)), amount: amount()))
            if rng.uniform() < p { break }
        }
    }
    return purchases
}
