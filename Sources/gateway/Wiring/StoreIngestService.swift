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
/// Runs its own thread because ZeroMQ receives block; writes to either back end (``CRMEventStore``)
/// are awaited from that thread. A back end that is unreachable (PostgreSQL down at start or gone
/// away) is retried with backoff: the batch is kept and the cursor has not moved, so nothing is lost.
/// Presence, visits and sales older than `retention` says are purged at start and hourly.
final class StoreIngestService: Service, @unchecked Sendable {
    private let subscriber: any EventReceiver
    private let writer: any CRMEventStore
    private let batch: CRMConfig.Batch
    private let retention: CRMConfig.Retention
    private let drainTarget: (@Sendable () -> (gateway: String, seq: UInt64))?
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let applied = Mutex<[String: UInt64]>([:])
    private let finished = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    /// - Parameter drainTarget: in the embedded store, the publisher's last seq: at shutdown the store
    ///   keeps reading until it has applied it (or a deadline passes), so nothing published is left behind.
    /// - Parameter retention: how long presence, visits and sales are kept; a `nil` age keeps that table for ever.
    init(subscriber: any EventReceiver, writer: any CRMEventStore, batch: CRMConfig.Batch,
         retention: CRMConfig.Retention = CRMConfig.Retention(presence: nil, visits: nil, transactions: nil),
         drainTarget: (@Sendable () -> (gateway: String, seq: UInt64))? = nil, logger: Logger) {
        self.subscriber = subscriber
        self.writer = writer
        self.batch = batch
        self.retention = retention
        self.drainTarget = drainTarget
        self.logger = logger
    }

    /// The last seq applied per gateway.
    var appliedSeqs: [String: UInt64] { applied.withLock { $0 } }

    func run() async throws {
        // The back end may be down at start (a PostgreSQL server restarting): wait for it rather than
        // exit, since the subscriber cannot resume before it knows the cursors.
        var attempts = 0
        var known: [String: UInt64]?
        while known == nil {
            do {
                known = try await writer.cursors()
            } catch {
                attempts += 1
                logger.error("CRM store cannot read its cursors (attempt \(attempts)), retrying: \(error)")
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                try? await Task.sleep(for: .milliseconds(min(250 * attempts, 5_000)))
            }
        }
        let cursors = known ?? [:]
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
        var nextPurge = Date()
        while true {
            if retention.purgesAnything, Date() >= nextPurge, drainDeadline == nil {
                nextPurge = purge()
            }
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
                let result = try wait { [writer, pending] () async throws(CRMStoreError) in try await writer.applyBatch(pending) }
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

    /// Deletes what `retention` says is due; returns when to purge next (sooner after a failure).
    private func purge() -> Date {
        let due = retention.cutoffs()
        do {
            let gone = try wait { [writer] () async throws(CRMStoreError) in
                try await writer.purge(presenceBefore: due.presence, visitsBefore: due.visits, transactionsBefore: due.transactions)
            }
            if gone.total > 0 {
                logger.info("CRM store purged old rows", metadata: [
                    "presence": "\(gone.presence)", "visits": "\(gone.visits)", "transactions": "\(gone.transactions)",
                ])
            }
            return Date().addingTimeInterval(3_600)
        } catch {
            logger.error("CRM store cannot purge old rows, retrying in a minute: \(error)")
            return Date().addingTimeInterval(60)
        }
    }

    /// Runs an async store call from the ingest thread and waits for it: the thread is this service's
    /// own, never one of the cooperative pool's, so blocking it starves nothing.
    private func wait<T: Sendable>(_ body: @escaping @Sendable () async throws(CRMStoreError) -> T) throws(CRMStoreError) -> T {
        let outcome = Outcome<T>()
        Task {
            do throws(CRMStoreError) {
                outcome.result = .success(try await body())
            } catch {
                outcome.result = .failure(error)
            }
            outcome.done.signal()
        }
        outcome.done.wait()
        return try outcome.result!.get()
    }

    private func drained() -> Bool {
        guard let target = drainTarget?() else { return true }
        return applied.withLock { ($0[target.gateway] ?? 0) >= target.seq }
    }
}

/// The result of one store call, handed from the task to the waiting ingest thread; the semaphore
/// orders the write before the read.
private final class Outcome<T>: @unchecked Sendable {
    var result: Result<T, CRMStoreError>?
    let done = DispatchSemaphore(value: 0)
}
