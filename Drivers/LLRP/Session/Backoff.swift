/// Exponential back-off with jitter, capped, reset after a good session.
///
/// Readers that drop together (a switch reboot, a power blip) would otherwise reconnect in
/// lockstep and meet the same contention again; the jitter spreads them out.
struct Backoff {
    let settings: LLRPReaderConfig.Reconnect
    private(set) var attempt = 0
    private var random: @Sendable (ClosedRange<Double>) -> Double

    init(_ settings: LLRPReaderConfig.Reconnect, random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) {
        self.settings = settings
        self.random = random
    }

    /// The delay before the next attempt; each call doubles the base until the cap.
    mutating func next() -> Duration {
        let initial = Double(settings.initial.milliseconds)
        let maximum = Double(settings.maximum.milliseconds)
        let base = min(maximum, initial * Double(1 << min(attempt, 30)))
        attempt += 1
        let jitter = max(0, min(1, settings.jitter))
        guard jitter > 0, base > 0 else { return .milliseconds(Int64(base.rounded())) }
        // Near the cap the factor's upper end is cut, not the delay clamped: clamping would give half
        // of all capped delays exactly the cap, and readers that dropped together would retry together.
        let factor = random((1 - jitter)...min(1 + jitter, maximum / base))
        return .milliseconds(Int64((base * factor).rounded()))
    }

    /// Back to the initial delay: the reader was reachable and reading.
    mutating func reset() { attempt = 0 }
}
