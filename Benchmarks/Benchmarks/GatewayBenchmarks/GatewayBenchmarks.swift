import Benchmark

/// Every hot path of the gateway next to its baseline, measured in one run (issue #10).
///
/// On a shared machine only ratios within one run mean much, so each family registers its
/// baseline beside it: the ring beside a mutex-protected Deque and an AsyncStream, the SGTIN-96
/// fast path beside the general decoder and a round trip through the URI strings.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions, .peakMemoryResident],
        warmupIterations: 1,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 50
    )
    registerRingBenchmarks()
    registerEPCBenchmarks()
    registerCodecBenchmarks()
    registerPresenceBenchmarks()
    registerMatcherBenchmarks()
}
