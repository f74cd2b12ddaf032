import Foundation
import Testing
@testable import Segmentation
import SeededRandom

/// CDNOW estimates in weeks (Fader, Hardie & Lee 2005).
let cdnowBG = BGNBDParameters(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)
let cdnowGG = GammaGammaParameters(p: 6.25, q: 3.74, v: 15.44)

@Suite("Hypergeometric 2F1")
struct HypergeometricTests {
    @Test("closed forms: 2F1(1,1;2;z) = −ln(1−z)/z, 2F1(a,b;b;z) = (1−z)^−a, arcsin")
    func closedForms() throws {
        for z in [-5.0, -0.9, -0.3, 1e-6, 0.1, 0.5, 0.9, 0.99, 0.999] {
            let value = try Hypergeometric.f21(1, 1, 2, z)
            #expect(relativeError(value, -log1p(-z) / z) < 1e-12, "z=\(z)")
            let power = try Hypergeometric.f21(0.7, 2.3, 2.3, z)
            #expect(relativeError(power, pow(1 - z, -0.7)) < 1e-12, "z=\(z)")
        }
        for s in [0.1, 0.5, 0.9] {
            #expect(relativeError(try Hypergeometric.f21(0.5, 0.5, 1.5, s * s), asin(s) / s) < 1e-12)
        }
        #expect(try Hypergeometric.f21(1, 1, 2, 0) == 1)
    }

    @Test("reference values (mpmath, 30 digits)")
    func reference() throws {
        #expect(relativeError(try Hypergeometric.f21(0.5, 1.5, 2.5, 0.97), 1.92516870401385) < 1e-12)
        #expect(relativeError(try Hypergeometric.f21(-0.3, 0.7, 1.9, -3.0), 1.22879766160045) < 1e-12)
        #expect(relativeError(try Hypergeometric.f21(1.2, 3.4, 5.6, 0.99), 4.90207158902653) < 1e-11)
        #expect(relativeError(try Hypergeometric.f21(2, 3, 4, -0.9), 0.370273408154429) < 1e-12)
        // Gauss at z = 1: Γ(c)Γ(c−a−b)/(Γ(c−a)Γ(c−b)); for (1,1;3) that is 2.
        #expect(abs(try Hypergeometric.f21(1, 1, 3, 1) - 2) < 1e-12)
        // A terminating polynomial: 2F1(−2, 1; 1; z) = (1 − z)².
        #expect(abs(try Hypergeometric.f21(-2, 1, 1, 0.4) - 0.36) < 1e-14)
    }

    @Test("invalid regions throw typed errors")
    func invalid() {
        #expect(throws: SegmentationError.self) { try Hypergeometric.f21(1, 1, 2, 1.5) }
        #expect(throws: SegmentationError.self) { try Hypergeometric.f21(1, 1, -2, 0.5) }
        #expect(throws: SegmentationError.self) { try Hypergeometric.f21(1, 1, 2, 1) }
        #expect(throws: SegmentationError.self) { try Hypergeometric.f21(1, 1, 2, 0.999_999, maxTerms: 100) }
    }
}

@Suite("Nelder–Mead")
struct NelderMeadTests {
    @Test("minimises the Rosenbrock function")
    func rosenbrock() {
        let result = NelderMead.minimize({ x in
            let (a, b) = (1 - x[0], x[1] - x[0] * x[0])
            return a * a + 100 * b * b
        }, start: [-1.2, 1])
        #expect(abs(result.x[0] - 1) < 1e-4 && abs(result.x[1] - 1) < 1e-4)
        #expect(result.converged)
    }

    @Test("treats NaN as +∞ (domain walls)")
    func nanWall() {
        let result = NelderMead.minimize({ x in x[0] < 0 ? .nan : (x[0] - 2) * (x[0] - 2) }, start: [5])
        #expect(abs(result.x[0] - 2) < 1e-4)
    }
}

@Suite("BG/NBD")
struct BGNBDTests {
    @Test("conditional expectation matches FHL 2005 worked example and mpmath")
    func expectation() throws {
        // FHL 2005: x = 2, t_x = 30.43, T = 38.86 → 1.226 purchases in the next 39 weeks.
        let worked = try cdnowBG.expectedPurchases(in: 39, given: BGNBDObservation(x: 2, tx: 30.43, T: 38.86))
        #expect(abs(worked - 1.2260281747671405) < 1e-9)
        #expect(abs(try cdnowBG.expectedPurchasesNewCustomer(in: 39) - 1.1967231933208139) < 1e-9)
        #expect(abs(try cdnowBG.expectedPurchases(in: 52, given: BGNBDObservation(x: 10, tx: 20, T: 38)) - 0.44449010715077593) < 1e-9)
        #expect(abs(try cdnowBG.expectedPurchases(in: 520, given: BGNBDObservation(x: 30, tx: 38, T: 38.5)) - 102.61915276759903) < 1e-7)
        #expect(abs(try cdnowBG.expectedPurchases(in: 1, given: BGNBDObservation(x: 1, tx: 1, T: 1)) - 0.16671869415573614) < 1e-9)
        // a = 1 is a removable singularity.
        var unit = cdnowBG
        unit.a = 1
        let atOne = try unit.expectedPurchasesNewCustomer(in: 39)
        unit.a = 1.001
        let above = try unit.expectedPurchasesNewCustomer(in: 39)
        unit.a = 0.999
        let below = try unit.expectedPurchasesNewCustomer(in: 39)
        #expect(atOne.isFinite && abs(atOne - (above + below) / 2) < 1e-6)
    }

    @Test("unconditional expectation agrees with simulation")
    func expectationVsSimulation() throws {
        var rng = SplitMix64(seed: 11)
        let sims = simulateBGNBD(cdnowBG, customers: 40_000, calibration: 39, birthSpread: 0, rng: &rng)
        let mean = Double(sims.reduce(0) { $0 + $1.x }) / Double(sims.count)
        let expected = try cdnowBG.expectedPurchasesNewCustomer(in: 39)
        // Var(X) is about 5 here, so the standard error of the mean is ≈ 0.011.
        #expect(abs(mean - expected) < 0.05, "simulated \(mean) vs formula \(expected)")
    }

    @Test("P(alive) is in [0, 1], 1 without repeats, and falls with longer silence")
    func pAlive() {
        #expect(cdnowBG.probabilityAlive(BGNBDObservation(x: 0, tx: 0, T: 30)) == 1)
        var previous = 1.0
        for T in stride(from: 10.0, through: 200, by: 10) {
            let value = cdnowBG.probabilityAlive(BGNBDObservation(x: 5, tx: 10, T: T))
            #expect(value >= 0 && value <= 1)
            #expect(value <= previous)
            previous = value
        }
        #expect(previous < 0.01)
        let heavy = cdnowBG.probabilityAlive(BGNBDObservation(x: 500, tx: 1, T: 1000))
        #expect(heavy >= 0 && heavy < 1e-10)
    }

    @Test("parameter recovery from 5 000 simulated CDNOW-like customers")
    func recovery() throws {
        var rng = SplitMix64(seed: 2005)
        let data = simulateBGNBD(cdnowBG, customers: 5_000, calibration: 39, birthSpread: 12, rng: &rng)
        let clock = ContinuousClock.now
        let fit = try BGNBD.fit(data)
        let p = fit.parameters
        print("BG/NBD fit: r=\(p.r) alpha=\(p.alpha) a=\(p.a) b=\(p.b) LL=\(fit.logLikelihood) evals=\(fit.evaluations) converged=\(fit.converged) in \(ContinuousClock.now - clock)")
        print("BG/NBD LL at truth: \(cdnowBG.logLikelihood(data))")
        #expect(fit.converged)
        #expect(fit.logLikelihood >= cdnowBG.logLikelihood(data))
        // Tolerances ≈ 3 Monte-Carlo standard deviations of each estimator at N = 5 000 over a
        // 39-week window (seeds 1–7 + 2005 gave sd ≈ 2 %, 4 %, 12 %, 16 % for r, α, a, b): the dropout
        // parameters a, b are weakly identified in so short a window, exactly as in CDNOW.
        #expect(relativeError(p.r, cdnowBG.r) < 0.10)
        #expect(relativeError(p.alpha, cdnowBG.alpha) < 0.15)
        #expect(relativeError(p.a, cdnowBG.a) < 0.40)
        #expect(relativeError(p.b, cdnowBG.b) < 0.50)
        // And each estimate lies within 3 asymptotic standard errors (inverse observed information).
        let theta = [p.r, p.alpha, p.a, p.b]
        let truth = [cdnowBG.r, cdnowBG.alpha, cdnowBG.a, cdnowBG.b]
        let se = standardErrors(at: theta) { t in
            BGNBDParameters(r: t[0], alpha: t[1], a: t[2], b: t[3]).logLikelihood(data)
        }
        print("BG/NBD standard errors: \(se)")
        for index in 0..<4 { #expect(abs(theta[index] - truth[index]) < 3 * se[index], "parameter \(index)") }
        // The fit is a local maximum: every perturbation of ±5 % lowers the likelihood.
        for index in 0..<4 {
            for factor in [0.95, 1.05] {
                var theta = [p.r, p.alpha, p.a, p.b]
                theta[index] *= factor
                let perturbed = BGNBDParameters(r: theta[0], alpha: theta[1], a: theta[2], b: theta[3])
                #expect(perturbed.logLikelihood(data) < fit.logLikelihood)
            }
        }
    }

    @Test("bad inputs throw typed errors")
    func badInputs() {
        #expect(throws: SegmentationError(.noPurchases, "BG/NBD fit needs at least one customer")) { try BGNBD.fit([]) }
        do {
            _ = try BGNBD.fit([BGNBDObservation(x: 0, tx: 0, T: 3)])
            Issue.record("expected insufficientData")
        } catch {
            #expect(error.code == .insufficientData)
        }
        #expect(throws: SegmentationError.self) { try BGNBD.fit([BGNBDObservation(x: 1, tx: 5, T: 3)]) }
    }
}

@Suite("Gamma-Gamma")
struct GammaGammaTests {
    @Test("parameter recovery from 4 000 simulated repeat buyers")
    func recovery() throws {
        var rng = SplitMix64(seed: 374)
        let data = simulateGammaGamma(cdnowGG, customers: 4_000, rng: &rng)
        let fit = try GammaGamma.fit(data)
        let g = fit.parameters
        print("Gamma-Gamma fit: p=\(g.p) q=\(g.q) v=\(g.v) LL=\(fit.logLikelihood) evals=\(fit.evaluations)")
        #expect(fit.converged)
        // Tolerances ≈ 3 Monte-Carlo standard deviations at N = 4 000 with x ∈ 1...8 (seeds 1–7 + 2005
        // gave sd ≈ 14 %, 4 %, 17 % for p, q, v; q and v are strongly correlated through the mean).
        #expect(relativeError(g.p, cdnowGG.p) < 0.40)
        #expect(relativeError(g.q, cdnowGG.q) < 0.15)
        #expect(relativeError(g.v, cdnowGG.v) < 0.50)
        let theta = [g.p, g.q, g.v]
        let truth = [cdnowGG.p, cdnowGG.q, cdnowGG.v]
        let se = standardErrors(at: theta) { t in
            let candidate = GammaGammaParameters(p: t[0], q: t[1], v: t[2])
            return data.reduce(0) { $0 + candidate.logLikelihood(x: $1.x, meanSpend: $1.meanSpend) }
        }
        print("Gamma-Gamma standard errors: \(se)")
        for index in 0..<3 { #expect(abs(theta[index] - truth[index]) < 3 * se[index], "parameter \(index)") }
        // Population mean spend p·v/(q−1) is far better determined than q and v separately.
        #expect(relativeError(g.populationMeanSpend, cdnowGG.populationMeanSpend) < 0.05)
        for index in 0..<3 {
            for factor in [0.95, 1.05] {
                var theta = [g.p, g.q, g.v]
                theta[index] *= factor
                let perturbed = GammaGammaParameters(p: theta[0], q: theta[1], v: theta[2])
                let ll = data.reduce(0) { $0 + perturbed.logLikelihood(x: $1.x, meanSpend: $1.meanSpend) }
                #expect(ll < fit.logLikelihood)
            }
        }
    }

    @Test("expected spend shrinks towards the population mean")
    func shrinkage() {
        let population = cdnowGG.populationMeanSpend
        #expect(abs(cdnowGG.expectedAverageSpend(x: 0, meanSpend: 0) - population) < 1e-12)
        let big = cdnowGG.expectedAverageSpend(x: 1, meanSpend: 200)
        #expect(big > population && big < 200)
        #expect(abs(cdnowGG.expectedAverageSpend(x: 1000, meanSpend: 200) - 200) < 1)
    }

    @Test("too few repeat buyers throws")
    func tooFew() {
        #expect(throws: SegmentationError.self) { try GammaGamma.fit([GammaGammaObservation(x: 1, meanSpend: 10)]) }
    }
}

@Suite("CLV")
struct CLVTests {
    @Test("CLV is positive and non-decreasing in the horizon; discounting lowers it")
    func monotone() throws {
        let o = BGNBDObservation(x: 3, tx: 30, T: 38)
        let spend = cdnowGG.expectedAverageSpend(x: 3, meanSpend: 40)
        var previous = 0.0
        for horizon in stride(from: 4.0, through: 260, by: 4) {
            let value = try CLV.value(bgnbd: cdnowBG, observation: o, expectedSpend: spend, options: CLVOptions(horizon: horizon), unit: .weeks)
            #expect(value > 0)
            #expect(value >= previous)
            previous = value
        }
        let undiscounted = try CLV.value(
            bgnbd: cdnowBG, observation: o, expectedSpend: spend, options: CLVOptions(horizon: 52, annualDiscountRate: 0), unit: .weeks)
        let discounted = try CLV.value(bgnbd: cdnowBG, observation: o, expectedSpend: spend, options: CLVOptions(horizon: 52), unit: .weeks)
        #expect(discounted < undiscounted)
        // Undiscounted, the steps telescope to E[Y(H)] × spend.
        let direct = try cdnowBG.expectedPurchases(in: 52, given: o) * spend
        #expect(abs(undiscounted - direct) < 1e-9 * direct)
    }

    @Test("invalid options throw")
    func invalid() {
        #expect(throws: SegmentationError.self) {
            try CLV.value(bgnbd: cdnowBG, observation: BGNBDObservation(x: 0, tx: 0, T: 1), expectedSpend: 1, options: CLVOptions(step: 0), unit: .weeks)
        }
    }
}
