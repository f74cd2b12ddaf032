import Dispatch
import Foundation
import GatewayCore
import Logging
import Metrics
import Synchronization

/// One POS source the listener serves: its format, its options, its ring and its counters.
public final class POSSource: Sendable {
    /// The source's name from the config.
    public var name: String { sink.source.name }
    /// How its documents are parsed.
    public let format: any POSDocumentFormat
    /// Path, token, drop folder.
    public let options: POSSourceOptions
    /// The producer end of the source's ring.
    public let sink: TransactionSink
    /// What happened to its documents so far.
    public let counters: POSSourceCounters
    /// Whether the last attempt to complete a document (``POSDocumentFormat/resolve(_:)``) failed, so
    /// the next success reports the source connected again.
    let resolveFailing = Atomic<Bool>(false)

    /// Creates a source.
    public init(format: any POSDocumentFormat, options: POSSourceOptions, sink: TransactionSink) {
        counters = POSSourceCounters(source: sink.source.name)
        self.format = format
        self.options = options
        self.sink = sink
    }
}

/// Counts per source; every transaction the listener sees lands in exactly one of them.
///
/// They also go to the process's swift-metrics backend (the dashboard's `/metrics`) as
/// `gateway_pos_transactions{source,outcome}` and `gateway_pos_documents_refused{source}`.
public final class POSSourceCounters: Sendable {
    /// A point-in-time copy.
    public struct Snapshot: Sendable, Equatable {
        /// Transactions published.
        public var accepted = 0
        /// Transactions already in the ledger, not published again.
        public var duplicated = 0
        /// Transactions refused one by one (missing ids, bad numbers).
        public var rejected = 0
        /// Non-sale transactions (POSLog control transactions) counted and skipped.
        public var ignored = 0
        /// Whole documents refused (malformed, too large, unauthorized).
        public var refusedDocuments = 0
    }

    private let state = Mutex(Snapshot())
    private let exported: (accepted: Counter, duplicated: Counter, rejected: Counter, ignored: Counter, refused: Counter)

    /// Creates zeroed counters for the source named `source`.
    public init(source: String = "") {
        func counter(_ outcome: String) -> Counter {
            Counter(label: "gateway_pos_transactions", dimensions: [("source", source), ("outcome", outcome)])
        }
        exported = (counter("accepted"), counter("duplicated"), counter("rejected"), counter("ignored"),
                    Counter(label: "gateway_pos_documents_refused", dimensions: [("source", source)]))
    }

    /// The counts now.
    public var snapshot: Snapshot { state.withLock { $0 } }

    func add(_ outcome: POSIngestOutcome) {
        state.withLock {
            $0.accepted += outcome.accepted
            $0.duplicated += outcome.duplicated
            $0.rejected += outcome.rejected
            $0.ignored += outcome.ignored
        }
        exported.accepted.increment(by: outcome.accepted)
        exported.duplicated.increment(by: outcome.duplicated)
        exported.rejected.increment(by: outcome.rejected)
        exported.ignored.increment(by: outcome.ignored)
    }

    func refused() {
        state.withLock { $0.refusedDocuments += 1 }
        exported.refused.increment()
    }
}

/// What became of one document: the listener's 200 answer.
public struct POSIngestOutcome: Sendable, Equatable, Codable {
    /// Transactions published.
    public var accepted = 0
    /// Transactions seen before, not published again.
    public var duplicated = 0
    /// Transactions refused, each with its reason in `errors`.
    public var rejected = 0
    /// Non-sale transactions skipped.
    public var ignored = 0
    /// Why each rejected transaction was refused.
    public var errors: [String] = []

    /// Creates an outcome.
    public init(accepted: Int = 0, duplicated: Int = 0, rejected: Int = 0, ignored: Int = 0, errors: [String] = []) {
        self.accepted = accepted
        self.duplicated = duplicated
        self.rejected = rejected
        self.ignored = ignored
        self.errors = errors
    }
}

/// The one path every POS document takes, from HTTP or from a drop folder: parse, de-duplicate
/// against the ledger, push into the source's ring, wait until the bus journal keeps the
/// transactions, record in the ledger, answer.
///
/// All ledger work and ring pushes run on one serial queue: a source's ring is single-producer,
/// and HTTP handlers and drop-folder watchers run concurrently. It is a dispatch queue, not the
/// Swift concurrency pool, because a push may wait on a full ring, the wait for the journal blocks
/// (for a group commit, a few milliseconds) and the ledger fsyncs.
public final class POSIngestor: Sendable {
    /// The idempotency ledger shared by all sources.
    public let ledger: POSLedger
    /// How long a document waits for its transactions to be kept (``DeliveryAck``) before it is
    /// answered 503; `nil` answers once they are pushed (tests that drain the ring themselves).
    public let commitTimeout: Duration?
    private let logger: Logger
    private let queue = DispatchQueue(label: "pos-ingest")

    /// Creates the ingestion path around a ledger.
    public init(ledger: POSLedger, commitTimeout: Duration? = nil, logger: Logger) {
        self.ledger = ledger
        self.commitTimeout = commitTimeout
        self.logger = logger
    }

    /// Parses and ingests one request for `source`.
    ///
    /// Parse, screen against the ledger, complete what the document only refers to (a fetch, for
    /// Square's order notifications), then de-duplicate, push and record on the serial queue.
    /// - Throws: ``POSIngestError`` when the document is refused as a whole; nothing of it was
    ///   published and nothing of it recorded, so the sender's retry is taken afresh.
    public func ingest(_ request: POSRequest, for source: POSSource, origin: String) async throws(POSIngestError) -> POSIngestOutcome {
        switch await process(request, for: source, origin: origin) {
        case .success(let outcome): return outcome
        case .failure(let error):
            refused(error, for: source, origin: origin)
            throw error
        }
    }

    private func process(_ request: POSRequest, for source: POSSource, origin: String) async -> Result<POSIngestOutcome, POSIngestError> {
        // Parsing is CPU work on a large document: off the event loops and the cooperative pool.
        let parsed = await run(on: .global()) { Result { () throws(POSIngestError) -> POSDocument in try source.format.parse(request) } }
        var document: POSDocument
        switch parsed {
        case .success(let value): document = value
        case .failure(let error): return .failure(error)
        }
        var known = 0
        if !document.pending.isEmpty {
            (document, known) = screen(document, driver: source.format.driver)
        }
        if !document.pending.isEmpty {
            do throws(POSIngestError) {
                document = try await source.format.resolve(document)
            } catch {
                if error.code == .unavailable || error.code == .upstream { source.resolveFailing.store(true, ordering: .relaxed) }
                return .failure(error)
            }
            if source.resolveFailing.exchange(false, ordering: .relaxed) {
                logger.notice("POS source \(source.name): completing its documents works again")
                source.sink.report(.connected, "completing its documents works again")
            }
        }
        let complete = document
        return await run(on: queue) { [known] in self.ingestSerially(complete, knownBefore: known, for: source, origin: origin) }
    }

    /// Takes out of a document's pending transactions those the ledger already answers for, so they
    /// are not fetched again: all of them when the delivery was seen before, else each whose
    /// expected key was published. The ledger is read, not written, so this needs no serial queue;
    /// ``ingestSerially(_:knownBefore:for:origin:)`` checks again for what raced past.
    private func screen(_ document: POSDocument, driver: String) -> (POSDocument, Int) {
        var document = document
        let before = document.pending.count
        if let id = document.deliveryID, ledger.contains("\(driver)|delivery|\(id)") {
            document.pending = []
        } else {
            document.pending.removeAll { pending in pending.expectedKey.map { ledger.contains("\(driver)|\($0)") } ?? false }
        }
        return (document, before - document.pending.count)
    }

    /// Runs `work` on `queue` and returns its result to the awaiting task.
    private func run<T: Sendable>(on queue: DispatchQueue, _ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in queue.async { continuation.resume(returning: work()) } }
    }

    /// Counts and reports a document refused as a whole (also by the listener, before parsing).
    public func refused(_ error: POSIngestError, for source: POSSource, origin: String) {
        source.counters.refused()
        logger.warning("POS source \(source.name): document from \(origin) refused: \(error.message)", metadata: ["code": "\(error.code)"])
        // A wrong token is someone else's problem, not the feed's state; a broken document is.
        if error.code != .unauthorized {
            source.sink.report(.error, "document from \(origin) refused: \(error.message)")
        }
    }

    /// Why a document's ack says its transactions were not kept; `nil` when they were.
    private static func unkept(_ outcome: DeliveryAck.Outcome?, within timeout: Duration) -> String? {
        switch outcome {
        case .journalled?, .published?: nil
        case .failed(let reason)?: reason
        case nil: "the bus journal did not sync them within pos.commitTimeout (\(timeout))"
        }
    }

    /// De-duplicates, pushes and records one complete document. `knownBefore` counts the pending
    /// transactions the screen found published already; what is still pending is counted as ignored.
    private func ingestSerially(_ document: POSDocument, knownBefore: Int, for source: POSSource, origin: String)
        -> Result<POSIngestOutcome, POSIngestError> {
        let driver = source.format.driver
        var outcome = POSIngestOutcome(duplicated: knownBefore, rejected: document.rejected.count,
                                       ignored: document.ignored + document.pending.count, errors: document.rejected)
        let deliveryKey = document.deliveryID.map { "\(driver)|delivery|\($0)" }
        if let deliveryKey, ledger.contains(deliveryKey) {
            outcome.duplicated += document.transactions.count
            source.counters.add(outcome)
            logger.info("POS source \(source.name): delivery \(document.deliveryID ?? "") from \(origin) seen before; nothing published")
            return .success(outcome)
        }
        var fresh: [String] = []
        var seen = Set<String>()
        var unseen = document.transactions.filter { transaction in
            let key = "\(driver)|\(transaction.key)"
            guard !ledger.contains(key), seen.insert(key).inserted else {
                outcome.duplicated += 1
                return false
            }
            return true
        }
        let ack = commitTimeout != nil && !unseen.isEmpty ? DeliveryAck() : nil
        if let ack { unseen[unseen.count - 1].ack = ack }
        var pushedAck = false
        for transaction in unseen {
            guard source.sink.push(transaction) else {
                outcome.rejected += 1
                outcome.errors.append("transaction \(transaction.key): the gateway is stopping; send it again")
                continue
            }
            pushedAck = pushedAck || transaction.ack != nil
            outcome.accepted += 1
            fresh.append("\(driver)|\(transaction.key)")
        }
        if let ack, let commitTimeout, outcome.accepted > 0,
           let failure = Self.unkept(pushedAck ? ack.wait(timeout: commitTimeout) : .failed("the gateway is stopping"), within: commitTimeout) {
            // Not recorded: the sender's retry is published again, and the store de-duplicates it by key.
            source.counters.add(outcome)
            let error = POSIngestError(.storage, "\(outcome.accepted) transactions were not kept: \(failure); send the document again")
            logger.error("POS source \(source.name): document from \(origin): \(error.message)")
            source.sink.report(.error, error.message)
            return .failure(error)
        }
        if let deliveryKey { fresh.append(deliveryKey) }
        do {
            // Kept first, recorded second: a crash in between re-publishes on the sender's retry
            // (the store de-duplicates by key) rather than losing a sale the ledger claims to have.
            try ledger.record(fresh)
        } catch {
            source.counters.add(outcome)
            logger.error("POS source \(source.name): \(error.message); \(outcome.accepted) transactions were published but not recorded")
            source.sink.report(.error, error.message)
            return .failure(error)
        }
        source.counters.add(outcome)
        let summary = "\(outcome.accepted) accepted, \(outcome.duplicated) duplicated, \(outcome.rejected) rejected, \(outcome.ignored) ignored"
        logger.info("POS source \(source.name): document from \(origin): \(summary)")
        if !outcome.errors.isEmpty {
            for error in outcome.errors { logger.warning("POS source \(source.name): rejected \(error)") }
            source.sink.report(.error, "\(outcome.rejected) transactions of a document from \(origin) rejected; first: \(outcome.errors[0])")
        }
        return .success(outcome)
    }
}
