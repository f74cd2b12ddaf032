import Bus
import Foundation
import GatewayCore
import Logging
import Synchronization

/// Runs the blocking bus receive loop on its own thread, feeding the aggregator.
///
/// A thread rather than a task: `receive` blocks in ZeroMQ, and blocking the cooperative pool would
/// starve the web server on a two-core box.
final class FeedPump: Sendable {
    private let source: any EventReceiver
    private let aggregator: FeedAggregator
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let finished = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    init(source: any EventReceiver, aggregator: FeedAggregator, logger: Logger) {
        self.source = source
        self.aggregator = aggregator
        self.logger = logger
    }

    /// Starts the thread.
    func start() {
        let thread = Thread { [self] in
            loop()
            let waiter = finished.withLock { state -> CheckedContinuation<Void, Never>? in
                state.done = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
        thread.name = "dashboard-feed"
        thread.start()
    }

    private func loop() {
        var failures = 0
        while !stopping.load(ordering: .relaxed) {
            do {
                // A short timeout: the loop notices a stop request within a fifth of a second.
                let events = try source.receive(maxBatch: 1_000, timeout: .milliseconds(200))
                aggregator.apply(events)
                failures = 0
            } catch {
                failures += 1
                if failures == 1 || failures % 100 == 0 { logger.error("dashboard: bus receive failed: \(error)") }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        source.close()
    }

    /// Asks the thread to stop and waits until it has closed the subscriber.
    func stop() async {
        stopping.store(true, ordering: .relaxed)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = finished.withLock { state -> Bool in
                if state.done { return true }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// What the subscriber missed, and what replay gave back.
    var health: FeedHealth { FeedHealth(source.statistics, recovers: source is RecoveringSubscriber) }
}
