import Benchmark
import DequeModule
import Foundation
import GatewayCore
import Synchronization

/// Runs `body` on a new thread; `join` waits for it. The benchmark thread is the producer, this the consumer.
final class Worker: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [done] in
            body()
            done.signal()
        }
        thread.start()
    }

    func join() { done.wait() }
}

/// The ring carrying the real `TagRead`, next to a mutex-protected Deque and an AsyncStream.
func registerRingBenchmarks() {
    let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal, .instructions]
    let config = Benchmark.Configuration(metrics: metrics, scalingFactor: .mega, maxDuration: .seconds(3), maxIterations: 20)
    let read = Fixtures.read(Fixtures.itemTag(serial: 1))

    Benchmark("Ring same-thread push+pop", configuration: config) { benchmark in
        let ring = SPSCRing<TagRead>(capacity: 4_096, lossless: .block)
        let sink = ReadSink(source: SourceDescriptor(index: 0, name: "bench", driver: "bench"), ring: ring, inbox: ControlInbox(doorbell: Doorbell()))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            sink.push(read)
            ring.drain(max: 1) { blackHole($0) }
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Ring cross-thread, one at a time", configuration: config) { benchmark in
        let count = benchmark.scaledIterations.count
        let ring = SPSCRing<TagRead>(capacity: 4_096, lossless: .block)
        let sink = ReadSink(source: SourceDescriptor(index: 0, name: "bench", driver: "bench"), ring: ring, inbox: ControlInbox(doorbell: Doorbell()))
        benchmark.startMeasurement()
        let consumer = Worker {
            var taken = 0
            while taken < count { taken += ring.drain(max: 1) { blackHole($0) } }
        }
        for _ in 0..<count { sink.push(read) }
        consumer.join()
        benchmark.stopMeasurement()
    }

    Benchmark("Ring cross-thread, batches of 64", configuration: config) { benchmark in
        let count = benchmark.scaledIterations.count / 64 * 64
        let ring = SPSCRing<TagRead>(capacity: 4_096, lossless: .block)
        let sink = ReadSink(source: SourceDescriptor(index: 0, name: "bench", driver: "bench"), ring: ring, inbox: ControlInbox(doorbell: Doorbell()))
        let batch = [TagRead](repeating: read, count: 64)
        benchmark.startMeasurement()
        let consumer = Worker {
            var taken = 0
            while taken < count { taken += ring.drain(max: 64) { blackHole($0) } }
        }
        var pushed = 0
        while pushed < count { pushed += sink.push(contentsOf: batch) }
        consumer.join()
        benchmark.stopMeasurement()
    }

    Benchmark("Baseline: Mutex<Deque> cross-thread, one at a time", configuration: config) { benchmark in
        let count = benchmark.scaledIterations.count
        let queue = Mutex<Deque<TagRead>>(Deque(minimumCapacity: 4_096))
        benchmark.startMeasurement()
        let consumer = Worker {
            var taken = 0
            while taken < count {
                if let item = queue.withLock({ $0.popFirst() }) {
                    blackHole(item)
                    taken += 1
                }
            }
        }
        for _ in 0..<count { queue.withLock { $0.append(read) } }
        consumer.join()
        benchmark.stopMeasurement()
    }

    Benchmark("Baseline: AsyncStream cross-thread, one at a time", configuration: config) { benchmark in
        let count = benchmark.scaledIterations.count
        let (stream, continuation) = AsyncStream.makeStream(of: TagRead.self, bufferingPolicy: .unbounded)
        benchmark.startMeasurement()
        let producer = Worker {
            for _ in 0..<count { continuation.yield(read) }
            continuation.finish()
        }
        var taken = 0
        for await item in stream {
            blackHole(item)
            taken += 1
        }
        producer.join()
        precondition(taken == count, "AsyncStream lost items")
        benchmark.stopMeasurement()
    }
}
