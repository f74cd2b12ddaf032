import Bus
import CRMStore
import Foundation
import GatewayCore
import Logging
import ServiceLifecycle
import Synchronization

/// The CRM store as a bus subscriber: receives events, writes them in batches with the last seq
/// in the same transaction, and resumes from that seq after a restart.
///
/// Runs its own thread because both ZeroMQ receives and SQLite writes block.
final class StoreIngestService: Service, @unchecked Sendable {
    private let subscriber: any EventReceiver
    private let writer: StoreWriter
    private let batch: CRMConfig.Batch
    private let drainTarget: (@Sendable () -> (gateway: String, seq: UInt64))?
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let applied = Mutex<[String: UInt64]>([:])
    private let finished = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    /// - Parameter drainTarget: in the embedded store, the publisher's last seq: at shutdown the store
    ///   keeps reading until it has applied it (or a deadline passes), so nothing published is left behind.
    init(subscriber: any EventReceiver, writer: StoreWriter, batch: CRMConfig.Batch,
         drainTarget: (@Sendable () -> (gateway: String, seq: UInt64))? = nil, logger: Logger) {
        self.subscriber = subscriber
        self.writer = writer
        self.batch = batch
        self.drainTarget = drainTarget
        self.logger = logger
    }

    /// The last seq applied per gateway.
    var appliedSeqs: [String: UInt64] { applied.withLock { $0 } }

    func run() async throws {
        let cursors = try writer.cursors()
        for (gateway, seq) in cursors { subscriber.resume(gateway: gateway, after: seq) }
        applied.withLock { $0 = cursors }
        let thread = Thread { [self] in
            loop()
            finished.withLock { state in
                state.done = true
                state.waiter?.resume()
                state.waiter = nil
            }
        }
        thread.name = "crm-store"
        thread.start()
        try? await gracefulShutdown()
        stopping.store(true, ordering: .releasing)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = finished.withLock { state -> Bool in
                if state.done { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
        subscriber.close()
        logger.info("CRM store stopped", metadata: ["cursors": "\(appliedSeqs)"])
    }

    private func loop() {
        var pending: [GatewayEvent] = []
        var drainDeadline: Date?
        var failures = 0
        while true {
            if stopping.load(ordering: .acquiring), drainDeadline == nil {
                drainDeadline = Date().addingTimeInterval(5)
            }
            if let deadline = drainDeadline {
                if pending.isEmpty, drained() || Date() >= deadline { break }
            }
            if pending.isEmpty {
                do {
                    pending = try subscriber.receive(maxBatch: batch.maxEvents, timeout: batch.maxDelay)
                } catch {
                    logger.error("CRM store cannot receive: \(error)")
                    Thread.sleep(forTimeInterval: 0.5)
                    continue
                }
                if pending.isEmpty {
                    if drainDeadline != nil, drainTarget == nil { break }
                    continue
                }
            }
            do {
                let result = try writer.applyBatch(pending)
                applied.withLock { seqs in
                    for (gateway, seq) in result.cursors { seqs[gateway] = max(seqs[gateway] ?? 0, seq) }
                }
                pending.removeAll(keepingCapacity: true)
                failures = 0
            } catch {
                // Keep the batch and retry: what the store accepted from the bus is never dropped.
                failures += 1
                logger.error("CRM store write failed (attempt \(failures)), retrying: \(error)")
                Thread.sleep(forTimeInterval: min(0.05 * Double(failures), 2))
                if let deadline = drainDeadline, Date() >= deadline {
                    logger.critical("CRM store gave up at shutdown with \(pending.count) events unwritten; they remain in the gateway's journal")
                    break
                }
            }
        }
    }

    private func drained() -> Bool {
        guard let target = drainTarget?() else { return true }
        return applied.withLock { ($0[target.gateway] ?? 0) >= target.seq }
    }
}
