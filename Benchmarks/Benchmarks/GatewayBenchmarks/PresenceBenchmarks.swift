import Benchmark
import GatewayCore
import Logging
import Matching

/// Swallows events: presence smoothing measured without the bus.
final class NullSink: EventSink {
    var emitted = 0
    func emit(_ payload: EventPayload, at ts: Timestamp) { emitted &+= 1 }
    func flush() {}
    func close() {}
}

/// A store pipeline with one floor reader, the synthetic product in its directory and a null sink.
func makePipeline() -> StorePipeline {
    var layout = StoreLayoutConfig()
    layout.companyPrefixes = ["0614141"]
    let directory = Directory(customers: [], products: [.init(gtin: Fixtures.gtin, name: "Blue Scarf", category: "accessories")])
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    return StorePipeline(configuration: MatchingConfig(), layout: layout,
                         sources: [SourceDescriptor(index: 0, name: "floor-1", driver: "bench", defaultZone: "floor")],
                         directory: directory, sink: NullSink(), logger: logger)
}

/// `StorePipeline.process(read:)` per read: a tag already present (the common case) and a tag new to its zone.
func registerPresenceBenchmarks() {
    Benchmark("Presence process(read:), tag already present", configuration: .init(scalingFactor: .mega, maxDuration: .seconds(2), maxIterations: 20)) { benchmark in
        let pipeline = makePipeline()
        let reads = (0..<4_096).map { Fixtures.read(Fixtures.itemTag(serial: UInt64($0))) }
        for read in reads { pipeline.process(read: read) }
        benchmark.startMeasurement()
        var i = 0
        for _ in benchmark.scaledIterations {
            pipeline.process(read: reads[i & 4_095])
            i &+= 1
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Presence process(read:), tag new to its zone (enter, later exit)", configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 50)) { benchmark in
        let pipeline = makePipeline()
        let count = benchmark.scaledIterations.count
        let reads = (0..<count).map { Fixtures.read(Fixtures.itemTag(serial: UInt64($0))) }
        benchmark.startMeasurement()
        for read in reads { pipeline.process(read: read) }
        // Ten seconds on: every tag has left, so the exits are paid for here too.
        pipeline.tick(now: Timestamp(microseconds: 1_800_000_010_000_000))
        benchmark.stopMeasurement()
    }
}
