import CGatewayCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle
import Synchronization

/// The pipeline thread: drains every source's ring round-robin in batches and runs the processor.
///
/// A dedicated `Thread` rather than the cooperative pool, so a burst of reads never starves async
/// work and async work never delays reads. When every ring is empty it spins briefly, then parks on
/// the ``Doorbell`` until a producer rings or the next tick is due.
public final class PipelineRunner: Service, @unchecked Sendable {
    /// Tuning for the pipeline thread.
    public struct Configuration: Sendable {
        /// How often `tick` runs: the resolution of presence expiry, and the largest share of exits that
        /// come due together (a burst of them queues up every reader's events behind it at the subscriber).
        public var tickInterval: Duration
        /// Empty rounds to spin before parking.
        public var spinRounds: Int

        /// Creates a configuration.
        public init(tickInterval: Duration = .milliseconds(10), spinRounds: Int = 200) {
            self.tickInterval = tickInterval
            self.spinRounds = spinRounds
        }
    }

    private let readRings: [SPSCRing<TagRead>]
    private let transactionRings: [(UInt16, SPSCRing<PosTransaction>)]
    private let doorbell: Doorbell
    private let inbox: ControlInbox
    private let processor: any PipelineProcessor
    private let configuration: Configuration
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let finished = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let done = Atomic<Bool>(false)
    private let threadClock = Mutex<clockid_t?>(nil)

    /// Creates a runner over the rings of every source.
    public init(readSinks: [ReadSink], transactionSinks: [TransactionSink], doorbell: Doorbell, inbox: ControlInbox,
                processor: any PipelineProcessor, configuration: Configuration = .init(), logger: Logger) {
        self.readRings = readSinks.map(\.ring)
        self.transactionRings = transactionSinks.map { ($0.source.index, $0.ring) }
        self.doorbell = doorbell
        self.inbox = inbox
        self.processor = processor
        self.configuration = configuration
        self.logger = logger
    }

    /// Starts the thread, waits for graceful shutdown, then drains the rings and stops.
    public func run() async throws {
        start()
        try? await gracefulShutdown()
        await stop()
    }

    /// Starts the pipeline thread.
    public func start() {
        let thread = Thread { [self] in
            var clock = clockid_t()
            if pthread_getcpuclockid(pthread_self(), &clock) == 0 { threadClock.withLock { $0 = clock } }
            loop()
            done.store(true, ordering: .sequentiallyConsistent)
            finished.withLock { $0?.resume(); $0 = nil }
        }
        thread.name = "pipeline"
        thread.start()
    }

    /// CPU time the pipeline thread has used so far; `nil` before it starts. Shows an idle pipeline parks.
    public var cpuTime: Duration? {
        guard let clock = threadClock.withLock({ $0 }), !done.load(ordering: .acquiring) else { return nil }
        var ts = timespec()
        guard clock_gettime(clock, &ts) == 0 else { return nil }
        return .seconds(ts.tv_sec) + .nanoseconds(ts.tv_nsec)
    }

    /// Asks the thread to drain what is queued and stop, and waits until it has.
    public func stop() async {
        stopping.store(true, ordering: .sequentiallyConsistent)
        doorbell.wake()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyDone = finished.withLock { slot -> Bool in
                if done.load(ordering: .sequentiallyConsistent) { return true }
                slot = continuation
                return false
            }
            if alreadyDone { continuation.resume() }
        }
        logger.info("pipeline stopped")
    }

    /// A round that found fewer reads than this waits a moment before the next: see ``loop()``.
    static let thinRound = 16
    /// Spin-wait hints in that moment: well under a microsecond.
    static let thinRoundPause = 32
    /// Busy rounds between clock readings: ticks need 100 ms resolution, not one per round.
    static let busyRoundsPerClockCheck = 16

    private func loop() {
        let tickMicros = UInt64(configuration.tickInterval.components.seconds) * 1_000_000
            + UInt64(configuration.tickInterval.components.attoseconds / 1_000_000_000_000)
        var nextTick = Timestamp.now()
        var idleRounds = 0
        var busyRounds = 0
        while true {
            let drained = drainOnce()
            var ticked = false
            var now = Timestamp(microseconds: 0)
            if drained > 0 {
                idleRounds = 0
                busyRounds &+= 1
            }
            if drained == 0 || busyRounds % Self.busyRoundsPerClockCheck == 0 || processor.hasDueWork {
                now = Timestamp.now()
                if now >= nextTick || processor.hasDueWork {
                    processor.tick(now: now)
                    ticked = true
                    if now >= nextTick { nextTick = Timestamp(microseconds: now.microseconds + tickMicros) }
                }
            }
            if drained > 0 || ticked { processor.flush() }
            if drained > 0 {
                // A consumer that polls again at once finds one read a round, and each poll takes the
                // producer's index line away from it: both sides then pay a cache miss per read. A short
                // pause lets the producer fill a batch while it owns its lines.
                if drained < Self.thinRound {
                    for _ in 0..<Self.thinRoundPause { gateway_cpu_relax() }
                }
                continue
            }
            if processor.hasDueWork { continue }
            if stopping.load(ordering: .sequentiallyConsistent) {
                // One last pass: a producer may have pushed between our drain and the flag.
                if drainOnce() == 0 { break }
                continue
            }
            idleRounds += 1
            if idleRounds < configuration.spinRounds {
                gateway_cpu_relax()
                continue
            }
            let untilTick = nextTick.microseconds > now.microseconds ? nextTick.microseconds - now.microseconds : 0
            doorbell.park(timeoutNanoseconds: max(untilTick, 100) * 1_000) { hasWork() }
            idleRounds = 0
        }
        processor.flush()
        processor.finish()
    }

    /// One round-robin pass over every ring and the inbox; returns how many items were processed.
    private func drainOnce() -> Int {
        var drained = 0
        for status in inbox.take() {
            processor.process(status: status)
            drained += 1
        }
        for ring in readRings {
            drained += ring.drain({ processor.process(read: $0) })
        }
        for (source, ring) in transactionRings {
            drained += ring.drain(max: 16, { processor.process(transaction: $0, from: source) })
        }
        return drained
    }

    private func hasWork() -> Bool {
        if stopping.load(ordering: .sequentiallyConsistent) || inbox.hasPending { return true }
        for ring in readRings where !ring.isEmpty { return true }
        for (_, ring) in transactionRings where !ring.isEmpty { return true }
        return false
    }
}
