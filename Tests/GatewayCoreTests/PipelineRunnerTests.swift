import Foundation
import Logging
import Synchronization
import Testing
@testable import GatewayCore

/// Records what the pipeline hands over, for assertions from the test thread.
final class RecordingProcessor: PipelineProcessor, @unchecked Sendable {
    let state = Mutex<(reads: [UInt16: [UInt64]], transactions: [String], statuses: [SourceStatus], finished: Bool)>(([:], [], [], false))

    func process(read: TagRead) {
        state.withLock { $0.reads[read.source, default: []].append(read.timestamp.microseconds) }
    }
    func process(transaction: PosTransaction, from source: UInt16) {
        state.withLock { $0.transactions.append(transaction.sequenceNumber) }
    }
    func process(status: SourceStatus) { state.withLock { $0.statuses.append(status) } }
    func tick(now: Timestamp) {}
    func flush() {}
    func finish() { state.withLock { $0.finished = true } }
}

/// Waits for `condition` with a deadline, polling; returns whether it became true.
func waitUntil(timeout: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

@Suite("Pipeline runner")
struct PipelineRunnerTests {
    private func sinks(readers: Int, doorbell: Doorbell, inbox: ControlInbox) -> [ReadSink] {
        (0..<readers).map { index in
            ReadSink(source: SourceDescriptor(index: UInt16(index), name: "r\(index)", driver: "test", defaultZone: "floor"),
                     ring: SPSCRing<TagRead>(capacity: 256, policy: .block, doorbell: doorbell), inbox: inbox)
        }
    }

    @Test("fans in every source's ring, in order per source, and drains before stopping")
    func fanIn() async {
        let doorbell = Doorbell()
        let inbox = ControlInbox(doorbell: doorbell)
        let readers = sinks(readers: 3, doorbell: doorbell, inbox: inbox)
        let pos = TransactionSink(source: SourceDescriptor(index: 3, name: "pos", driver: "test"),
                                  ring: SPSCRing<PosTransaction>(capacity: 4, doorbell: doorbell), inbox: inbox)
        let processor = RecordingProcessor()
        let runner = PipelineRunner(readSinks: readers, transactionSinks: [pos], doorbell: doorbell, inbox: inbox,
                                    processor: processor, logger: Logger(label: "test"))
        runner.start()
        let perSource = 20_000
        let threads = readers.map { sink in
            Thread {
                for i in 0..<perSource {
                    sink.push(TagRead(tag: TagID(), source: sink.source.index, antenna: 1, timestamp: Timestamp(microseconds: UInt64(i))))
                }
            }
        }
        threads.forEach { $0.start() }
        for n in 0..<10 {
            pos.push(PosTransaction(storeID: "s", workstationID: "1", sequenceNumber: "\(n)", businessDay: "2026-11-23",
                                    endedAt: .now(), currency: "USD", lines: [], tenders: [], total: 0))
        }
        readers[0].report(.connected, "up")
        #expect(waitUntil { processor.state.withLock { $0.reads.values.map(\.count).reduce(0, +) } == perSource * 3 })
        await runner.stop()
        processor.state.withLock { state in
            for source in 0..<3 {
                #expect(state.reads[UInt16(source)] == (0..<perSource).map(UInt64.init))
            }
            #expect(state.transactions == (0..<10).map(String.init))
            #expect(state.statuses == [SourceStatus(source: 0, state: .connected, message: "up")])
            #expect(state.finished)
        }
    }

    @Test("parks when idle instead of burning a core")
    func parksWhenIdle() async {
        let doorbell = Doorbell()
        let inbox = ControlInbox(doorbell: doorbell)
        let readers = sinks(readers: 2, doorbell: doorbell, inbox: inbox)
        let processor = RecordingProcessor()
        let runner = PipelineRunner(readSinks: readers, transactionSinks: [], doorbell: doorbell, inbox: inbox,
                                    processor: processor, logger: Logger(label: "test"))
        runner.start()
        // Let it settle into parking, then measure the pipeline thread's own CPU time over an idle second.
        readers[0].push(TagRead(tag: TagID(), source: 0, antenna: 1, timestamp: .now()))
        #expect(waitUntil { processor.state.withLock { $0.reads[0]?.count == 1 } })
        #expect(waitUntil { runner.cpuTime != nil })
        let before = runner.cpuTime ?? .zero
        let wallStart = Date()
        while Date().timeIntervalSince(wallStart) < 1.0 { usleep(50_000) }
        let used = (runner.cpuTime ?? .zero) - before
        // A spinning consumer would use most of a second of CPU here; a parked one a few milliseconds.
        #expect(used < .milliseconds(300), "pipeline used \(used) of CPU in 1 s idle")
        // And a push still wakes it promptly.
        readers[1].push(TagRead(tag: TagID(), source: 1, antenna: 1, timestamp: .now()))
        #expect(waitUntil(timeout: 5) { processor.state.withLock { $0.reads[1]?.count == 1 } })
        await runner.stop()
    }

    /// A processor whose tick does a share of a backlog at a time, as presence expiry does with a burst of exits.
    final class BacklogProcessor: PipelineProcessor, @unchecked Sendable {
        let state = Mutex<(ticks: Int, left: Int, flushedAfterTick: Int)>((0, 0, 0))
        func process(read: TagRead) {}
        func process(transaction: PosTransaction, from source: UInt16) {}
        func process(status: SourceStatus) {}
        func tick(now: Timestamp) { state.withLock { $0.ticks += 1; $0.left = max(0, $0.left - 1) } }
        var hasDueWork: Bool { state.withLock { $0.left > 0 } }
        func flush() { state.withLock { $0.flushedAfterTick = $0.ticks } }
        func finish() {}
    }

    @Test("due work left by a tick is ticked again at once, not a tick interval later, and flushed")
    func dueWorkTicksAgain() async {
        let doorbell = Doorbell()
        let inbox = ControlInbox(doorbell: doorbell)
        let processor = BacklogProcessor()
        let runner = PipelineRunner(readSinks: sinks(readers: 1, doorbell: doorbell, inbox: inbox), transactionSinks: [], doorbell: doorbell,
                                    inbox: inbox, processor: processor, configuration: .init(tickInterval: .seconds(3_600)), logger: Logger(label: "test"))
        runner.start()
        // The first tick comes at start; after that, only due work brings another within the hour.
        #expect(waitUntil(timeout: 5) { processor.state.withLock { $0.ticks >= 1 } })
        processor.state.withLock { $0.left = 50 }
        // Woken (or still spinning), the runner ticks once a round until the backlog is gone.
        doorbell.wake()
        #expect(waitUntil(timeout: 10) { processor.state.withLock { $0.left == 0 } })
        processor.state.withLock { state in
            #expect(state.ticks >= 51)
            #expect(state.flushedAfterTick == state.ticks)
        }
        await runner.stop()
    }

    /// Notes how long after its push each read reached the pipeline.
    final class LatencyProcessor: PipelineProcessor, @unchecked Sendable {
        let latencies = Mutex<[UInt64]>([])
        func process(read: TagRead) {
            let now = Timestamp.now().microseconds
            latencies.withLock { $0.append(now > read.timestamp.microseconds ? now - read.timestamp.microseconds : 0) }
        }
        func process(transaction: PosTransaction, from source: UInt16) {}
        func process(status: SourceStatus) {}
        func tick(now: Timestamp) {}
        func flush() {}
        func finish() {}
    }

    @Test("no push goes unnoticed by a parked pipeline, fenced or not", arguments: [true, false])
    func noLostWakeUp(asymmetric: Bool) async {
        let doorbell = Doorbell(asymmetric: asymmetric)
        #expect(doorbell.isAsymmetric == (asymmetric && Doorbell.membarrierAvailable))
        let inbox = ControlInbox(doorbell: doorbell)
        let readers = sinks(readers: 1, doorbell: doorbell, inbox: inbox)
        let processor = LatencyProcessor()
        // An hour between ticks: a missed wake-up would leave a read waiting far past the deadline below.
        let runner = PipelineRunner(readSinks: readers, transactionSinks: [], doorbell: doorbell, inbox: inbox, processor: processor,
                                    configuration: .init(tickInterval: .seconds(3_600), spinRounds: 20), logger: Logger(label: "test"))
        runner.start()
        var random = SystemRandomNumberGenerator()
        let count = 1_500
        for _ in 0..<count {
            // Gaps around the spin and the short park, so pushes meet the pipeline in every phase of parking.
            usleep(UInt32.random(in: 0...900, using: &random))
            readers[0].push(TagRead(tag: TagID(), source: 0, antenna: 1, timestamp: .now()))
        }
        #expect(waitUntil(timeout: 20) { processor.latencies.withLock { $0.count } == count })
        await runner.stop()
        let worst = processor.latencies.withLock { $0.max() ?? 0 }
        // Generous for a loaded machine, yet far below the hour a lost wake-up would cost.
        #expect(worst < 2_000_000, "a read waited \(worst) µs")
    }
}
