/// Derivative-free minimisation by the Nelder–Mead simplex method (Nelder & Mead 1965), with
/// restarts.
///
/// Used for the BG/NBD and Gamma-Gamma maximum-likelihood fits on log-parameters, where the
/// likelihoods are smooth but their gradients are tedious (digamma of shifted arguments) and
/// a handful of parameters makes the simplex method cheap and robust.
public enum NelderMead {
    /// Tuning and stopping rules.
    public struct Options: Sendable, Hashable, Codable {
        /// Hard cap on objective evaluations across all restarts.
        public var maxEvaluations: Int
        /// Converged when the spread of simplex values is ≤ fTolerance · (1 + |best|).
        public var fTolerance: Double
        /// ... and every vertex is within xTolerance of the best one in every coordinate.
        public var xTolerance: Double
        /// Edge length of the initial (and every restart) simplex along each axis.
        public var initialStep: Double
        /// Extra runs restarted from the best point; stops early when a restart no longer improves
        /// the value by more than fTolerance, which guards against simplex collapse.
        public var restarts: Int

        /// Creates options; the defaults suit log-parameter likelihood fits.
        public init(
            maxEvaluations: Int = 20_000, fTolerance: Double = 1e-11, xTolerance: Double = 1e-7,
            initialStep: Double = 0.5, restarts: Int = 3
        ) {
            self.maxEvaluations = maxEvaluations
            self.fTolerance = fTolerance
            self.xTolerance = xTolerance
            self.initialStep = initialStep
            self.restarts = restarts
        }
    }

    /// The outcome of a minimisation.
    public struct Result: Sendable, Hashable, Codable {
        /// The best point found.
        public var x: [Double]
        /// The objective at ``x``.
        public var value: Double
        /// Objective evaluations used.
        public var evaluations: Int
        /// Whether the last run met both tolerances before the evaluation cap.
        public var converged: Bool
    }

    /// Minimises `objective` from `start`. Non-finite objective values are treated as +∞, so an
    /// objective may signal "outside the domain" by returning `.nan` or `.infinity`.
    public static func minimize(
        _ objective: ([Double]) -> Double, start: [Double], options: Options = Options()
    ) -> Result {
        var evaluations = 0
        func f(_ point: [Double]) -> Double {
            evaluations += 1
            let value = objective(point)
            return value.isFinite ? value : .infinity
        }
        var best = start
        var bestValue = f(start)
        var converged = false
        for run in 0...max(options.restarts, 0) {
            let previous = bestValue
            let outcome = singleRun(f, start: best, startValue: bestValue, options: options) { evaluations }
            best = outcome.x
            bestValue = outcome.value
            converged = outcome.converged
            if evaluations >= options.maxEvaluations { break }
            // A restart that cannot improve means we are at a genuine local minimum.
            if run > 0 && previous - bestValue <= options.fTolerance * (1 + abs(bestValue)) { break }
        }
        return Result(x: best, value: bestValue, evaluations: evaluations, converged: converged)
    }

    private static func singleRun(
        _ f: ([Double]) -> Double, start: [Double], startValue: Double, options: Options, used: () -> Int
    ) -> (x: [Double], value: Double, converged: Bool) {
        let n = start.count
        guard n > 0 else { return (start, startValue, true) }
        // Standard coefficients: reflection 1, expansion 2, contraction ½, shrink ½.
        let (alpha, gamma, rho, sigma) = (1.0, 2.0, 0.5, 0.5)
        var simplex: [[Double]] = [start]
        var values: [Double] = [startValue]
        for i in 0..<n {
            var vertex = start
            vertex[i] += options.initialStep
            simplex.append(vertex)
            values.append(f(vertex))
        }
        func combine(_ p: [Double], _ q: [Double], _ t: Double) -> [Double] {
            // p + t (q − p)
            var out = p
            for i in 0..<n { out[i] = p[i] + t * (q[i] - p[i]) }
            return out
        }
        while used() < options.maxEvaluations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            let spread = values[n] - values[0]
            var size = 0.0
            for vertex in simplex.dropFirst() {
                for i in 0..<n { size = max(size, abs(vertex[i] - simplex[0][i])) }
            }
            if spread.isFinite && spread <= options.fTolerance * (1 + abs(values[0])) && size <= options.xTolerance {
                return (simplex[0], values[0], true)
            }
            var centroid = [Double](repeating: 0, count: n)
            for vertex in simplex.dropLast() {
                for i in 0..<n { centroid[i] += vertex[i] / Double(n) }
            }
            let worst = simplex[n]
            let reflected = combine(centroid, worst, -alpha)
            let fr = f(reflected)
            if fr < values[0] {
                let expanded = combine(centroid, worst, -gamma)
                let fe = f(expanded)
                if fe < fr {
                    simplex[n] = expanded; values[n] = fe
                } else {
                    simplex[n] = reflected; values[n] = fr
                }
                continue
            }
            if fr < values[n - 1] {
                simplex[n] = reflected; values[n] = fr
                continue
            }
            // Contract towards the better of the reflected point and the worst vertex.
            let outside = fr < values[n]
            let contracted = outside ? combine(centroid, reflected, rho) : combine(centroid, worst, rho)
            let fc = f(contracted)
            if fc < (outside ? fr : values[n]) {
                simplex[n] = contracted; values[n] = fc
                continue
            }
            for j in 1...n {
                simplex[j] = combine(simplex[0], simplex[j], sigma)
                values[j] = f(simplex[j])
            }
        }
        let bestIndex = values.indices.min { values[$0] < values[$1] }!
        return (simplex[bestIndex], values[bestIndex], false)
    }
}
