import GatewayCore
import NIOCore
import NIOPosix

/// Hands decoded reads to the source's ring without ever blocking the event loop.
///
/// Under `dropOldest` and `dropNewest` a push never waits, so it happens right on the event loop.
/// Under `block` a push may wait for the pipeline, so it runs on NIO's blocking thread pool, one
/// batch at a time (the ring has a single producer), and the channel stops reading while batches
/// queue up: the reader's TCP window then fills and it buffers on its side, which is what `block`
/// asks for.
final class ReadDelivery {
    private let sink: ReadSink
    private let statistics: LLRPReaderStatistics
    private let blocking: Bool
    private var queued: [TagRead] = []
    private var inFlight = false
    private var readingPaused = false
    private var drainWaiters: [EventLoopPromise<Void>] = []
    /// Reads queued beyond this pause the socket.
    private let highWater = 4_096

    init(sink: ReadSink, statistics: LLRPReaderStatistics) {
        self.sink = sink
        self.statistics = statistics
        self.blocking = sink.ring.policy == .block
    }

    /// True while the socket is paused for the ring; the keepalive watchdog must not count that as silence.
    var isHoldingBack: Bool { readingPaused }

    func push(_ reads: [TagRead], channel: any Channel) {
        guard blocking else {
            let accepted = sink.push(contentsOf: reads)
            statistics.delivered(reads.count, dropped: reads.count - accepted)
            return
        }
        queued.append(contentsOf: reads)
        if !inFlight { pump(channel: channel) }
        if queued.count >= highWater, !readingPaused {
            readingPaused = true
            try? channel.syncOptions?.setOption(.autoRead, value: false)
        }
    }

    /// Completes once every queued read is in the ring; sessions end only then, so two
    /// connections never push concurrently into the single-producer ring.
    func whenDrained(on loop: any EventLoop) -> EventLoopFuture<Void> {
        guard inFlight || !queued.isEmpty else { return loop.makeSucceededVoidFuture() }
        let promise = loop.makePromise(of: Void.self)
        drainWaiters.append(promise)
        return promise.futureResult
    }

    private func pump(channel: any Channel) {
        let batch = queued
        queued.removeAll(keepingCapacity: true)
        inFlight = true
        let sink = self.sink
        NIOThreadPool.singleton.runIfActive(eventLoop: channel.eventLoop) { sink.push(contentsOf: batch) }
            .assumeIsolated()
            .whenComplete { result in
                let accepted = (try? result.get()) ?? 0
                self.statistics.delivered(batch.count, dropped: batch.count - accepted)
                self.inFlight = false
                if !self.queued.isEmpty {
                    self.pump(channel: channel)
                    return
                }
                if self.readingPaused {
                    self.readingPaused = false
                    try? channel.syncOptions?.setOption(.autoRead, value: true)
                    channel.read()
                }
                let waiters = self.drainWaiters
                self.drainWaiters.removeAll()
                for waiter in waiters { waiter.succeed() }
            }
    }
}
