import GatewayCore
import Logging
import Synchronization

/// What a publisher has done since it started; every count is cumulative.
public struct PublisherStatistics: Sendable, Equatable {
    /// Events ZeroMQ accepted for delivery (to every subscriber with room, possibly none).
    public var published: UInt64
    /// Events at least one subscriber missed because it was at its high-water mark. The others had
    /// them live; they are in the journal, so the slow subscriber sees a gap and fetches them later.
    public var refused: UInt64
    /// Events dropped before they got a seq because they could not be encoded (a NaN, say).
    public var unencodable: UInt64
    /// Events that could not be appended to the journal; they were still sent live.
    public var journalFailures: UInt64
    /// The seq of the last event, 0 before the first.
    public var lastSeq: UInt64
    /// The highest seq synced to disk; 0 without a journal.
    public var durableSeq: UInt64
    /// The journal's size in bytes; 0 without a journal.
    public var journalBytes: Int64

    /// Creates statistics.
    public init(published: UInt64 = 0, refused: UInt64 = 0, unencodable: UInt64 = 0, journalFailures: UInt64 = 0, lastSeq: UInt64 = 0,
                durableSeq: UInt64 = 0, journalBytes: Int64 = 0) {
        self.published = published
        self.refused = refused
        self.unencodable = unencodable
        self.journalFailures = journalFailures
        self.lastSeq = lastSeq
        self.durableSeq = durableSeq
        self.journalBytes = journalBytes
    }
}

/// The end of the pipeline: gives each event its seq, journals it, and publishes it on a ZeroMQ PUB socket.
///
/// Each message is two frames, the topic (the event type) and the JSON body (see ``EventCodec``).
/// Seqs are gap-free per gateway and continue across restarts from the journal. The journal
/// holds the JSON body of each event under its seq, exactly as it was sent.
///
/// Events go out at ``flush()``, which the pipeline calls after each round, or every ``sendBatch`` events:
/// the journal then hands all of them to the kernel with one `write(2)` before the first is sent, so a
/// process crash never loses an event a subscriber already has.
///
/// The publisher never blocks the pipeline, and never drops silently: the socket refuses rather
/// than waits when a subscriber falls a high-water mark behind (`ZMQ_XPUB_NODROP`); the event is then
/// counted and sent again lossy, so the slow subscriber misses it and every other gets it live. The
/// journal syncs on its own thread. `emit`, `flush` and `close` come from the pipeline thread only; ``statistics`` may
/// be read from any thread, which is why the conformance to `Sendable` is unchecked.
public final class EventPublisher: EventSink, @unchecked Sendable {
    /// How long `close` lets queued messages drain to subscribers.
    public static let closeLinger: Duration = .milliseconds(1_000)

    /// The endpoint the socket is bound to.
    public let endpoint: String
    /// The gateway id stamped on every event.
    public let gateway: String
    /// The store id stamped on every event.
    public let store: String
    /// The journal, when enabled: what replay reads.
    public let journal: Journal?

    private let socket: ZMQSocket
    /// The ZAP domain of the socket's allow-list when it is a CURVE server.
    private let curveDomain: String?
    private let codec = EventCodec()
    private let logger: Logger
    private var nextSeq: UInt64
    private var topicFrames: [EventType: [UInt8]]
    private var refusing = false
    private var refusedSinceAccepting: UInt64 = 0
    private var journalFailing = false
    private var closed = false
    /// Events not journalled (refused by the journal, or not encodable) when the last ack was settled.
    private var unkeptAtLastSettle: UInt64 = 0
    /// Events journalled but not yet sent: they go out at the next ``flush()``, after one `write(2)` for all.
    private var unsent: [(type: EventType, seq: UInt64, body: [UInt8])] = []
    /// Events held for one flush at most: a burst still goes out in steps, and memory stays small.
    static let sendBatch = 64

    private let publishedCount = Atomic<UInt64>(0)
    private let refusedCount = Atomic<UInt64>(0)
    private let unencodableCount = Atomic<UInt64>(0)
    private let journalFailureCount = Atomic<UInt64>(0)
    private let lastSeqValue: Atomic<UInt64>

    /// Binds the PUB socket and opens the journal.
    ///
    /// - Parameters:
    ///   - configuration: the `bus:` section; `publish` is bound, the journal used when enabled.
    ///   - gateway: this gateway's id; it names the seq space.
    ///   - store: the store id.
    ///   - journalDirectory: where the journal lives; `nil` runs without one, so seqs restart at 1.
    ///   - logger: where the publisher reports.
    /// - Throws: ``BusError`` with code `.config` for an unusable configuration, `.bind` when the
    ///   endpoint cannot be bound (in use, say), `.journal` when the journal cannot be opened.
    public init(configuration: BusConfig, gateway: String, store: String, journalDirectory: String?, logger: Logger) throws(BusError) {
        try configuration.validate()
        let socket = try ZMQSocket(.pub)
        var curveDomain: String?
        do {
            // Before the bind: the first connection must already meet CURVE.
            if let curve = configuration.curve { curveDomain = try socket.makeCurveServer(curve, role: "bus", logger: logger) }
            try socket.setOption(ZMQOption.sendHighWaterMark, Int32(clamping: configuration.sendHighWaterMark))
            try socket.setOption(ZMQOption.xpubNoDrop, 1)
            try socket.setOption(ZMQOption.linger, Int32(clamping: Self.closeLinger.components.seconds * 1_000))
            if configuration.publish.hasPrefix("tcp://[") { try socket.setOption(ZMQOption.ipv6, 1) }
            try socket.bind(configuration.publish)
        } catch {
            socket.close()
            if let curveDomain { ZAPAuthenticator.shared.unregister(domain: curveDomain) }
            throw error
        }
        var journal: Journal?
        if configuration.journal.enabled, let journalDirectory {
            do {
                journal = try Journal.open(directory: journalDirectory, settings: configuration.journal, logger: logger)
            } catch {
                socket.close()
                if let curveDomain { ZAPAuthenticator.shared.unregister(domain: curveDomain) }
                throw error
            }
        }
        self.socket = socket
        self.curveDomain = curveDomain
        self.journal = journal
        self.endpoint = socket.lastEndpoint ?? configuration.publish
        self.gateway = gateway
        self.store = store
        self.logger = logger
        let lastSeq = journal?.lastSeq ?? 0
        nextSeq = lastSeq + 1
        lastSeqValue = Atomic(lastSeq)
        topicFrames = Dictionary(uniqueKeysWithValues: EventType.allCases.map { ($0, Array($0.topic.utf8)) })
        logger.info("bus publishing", metadata: [
            "bus.endpoint": "\(endpoint)", "bus.nextSeq": "\(nextSeq)", "bus.journal": "\(journal?.directory ?? "off")",
        ])
        if journal == nil {
            logger.info("bus journal is off: seqs restart at 1 on every start and nothing can be replayed")
        }
        if let curve = configuration.curve {
            logger.info("bus encrypted with CURVE", metadata: [
                "bus.serverKey": "\(curve.keys.publicKey)", "bus.allowedClients": "\(curve.allowedClients.count)",
            ])
        } else if let (host, _) = BusConfig.tcpHostAndPort(configuration.publish), !BusConfig.isLoopback(host: host) {
            logger.warning("bus is plain, unauthenticated TCP beyond loopback: anyone who reaches the port reads every event", metadata: [
                "bus.endpoint": "\(endpoint)",
            ])
        }
    }

    /// The subscribers CURVE let in and turned away; zeros without CURVE.
    public var curveAccess: CurveAccessStatistics {
        curveDomain.map { ZAPAuthenticator.shared.statistics(domain: $0) } ?? CurveAccessStatistics()
    }

    deinit {
        close()
    }

    /// What the publisher has done so far; safe to read from any thread.
    public var statistics: PublisherStatistics {
        PublisherStatistics(
            published: publishedCount.load(ordering: .relaxed),
            refused: refusedCount.load(ordering: .relaxed),
            unencodable: unencodableCount.load(ordering: .relaxed),
            journalFailures: journalFailureCount.load(ordering: .relaxed),
            lastSeq: lastSeqValue.load(ordering: .relaxed),
            durableSeq: journal?.durableSeq ?? 0,
            journalBytes: journal?.byteCount ?? 0
        )
    }

    /// Gives the event the next seq, journals it, and queues it for the next ``flush()``.
    public func emit(_ payload: EventPayload, at ts: Timestamp) {
        guard !closed else {
            logger.warning("bus event emitted after close was dropped", metadata: ["bus.type": "\(payload.type.topic)"])
            return
        }
        let event = GatewayEvent(seq: nextSeq, gateway: gateway, store: store, ts: ts, payload: payload)
        let body: [UInt8]
        do {
            body = try codec.encode(event).body
        } catch {
            // The seq is not consumed, so the stream stays gap-free.
            unencodableCount.add(1, ordering: .relaxed)
            logger.error("bus event could not be encoded and was dropped", metadata: ["bus.type": "\(payload.type.topic)", "error": "\(error)"])
            return
        }
        nextSeq += 1
        lastSeqValue.store(event.seq, ordering: .relaxed)
        if let journal { append(event.seq, body, to: journal) }
        unsent.append((event.type, event.seq, body))
        if unsent.count >= Self.sendBatch { flush() }
    }

    /// Settles `ack` once every event emitted so far is synced to the journal.
    ///
    /// Fails it at once when an event went unjournalled since the last ack: that one may be the
    /// ack's own, and a false failure only makes the sender retry, which the store de-duplicates.
    /// An ack the journal never syncs (a full disk) stays unsettled and its waiter times out.
    public func settle(_ ack: DeliveryAck) {
        flush()
        guard let journal else {
            ack.settle(.published)
            return
        }
        let unkept = journalFailureCount.load(ordering: .relaxed) + unencodableCount.load(ordering: .relaxed)
        defer { unkeptAtLastSettle = unkept }
        guard unkept == unkeptAtLastSettle else {
            ack.settle(.failed("\(unkept - unkeptAtLastSettle) events could not be journalled"))
            return
        }
        journal.whenDurable(nextSeq - 1) { ack.settle(.journalled) }
    }

    /// Hands the journalled events to the kernel, then sends them; the journal syncs on its own thread.
    public func flush() {
        guard !unsent.isEmpty else { return }
        journal?.writeBuffered()
        for event in unsent { send(event.type, event.seq, event.body) }
        unsent.removeAll(keepingCapacity: true)
    }

    /// Syncs the journal and closes the socket, letting queued messages drain for ``closeLinger``.
    public func close() {
        guard !closed else { return }
        flush()
        closed = true
        if let journal {
            journal.close()
        }
        socket.close(linger: Self.closeLinger)
        if let curveDomain { ZAPAuthenticator.shared.unregister(domain: curveDomain) }
        let statistics = statistics
        logger.info("bus publisher closed", metadata: [
            "bus.lastSeq": "\(statistics.lastSeq)", "bus.published": "\(statistics.published)", "bus.refused": "\(statistics.refused)",
        ])
    }

    private func append(_ seq: UInt64, _ body: [UInt8], to journal: Journal) {
        do {
            try journal.append(seq: seq, payload: body)
            if journalFailing {
                journalFailing = false
                logger.info("bus journal accepts events again", metadata: ["bus.seq": "\(seq)"])
            }
        } catch {
            journalFailureCount.add(1, ordering: .relaxed)
            if !journalFailing {
                journalFailing = true
                logger.error("bus journal refused an event; it is sent live but cannot be replayed", metadata: [
                    "bus.seq": "\(seq)", "error": "\(error)",
                ])
            }
        }
    }

    private func send(_ type: EventType, _ seq: UInt64, _ body: [UInt8]) {
        let frames = [topicFrames[type] ?? Array(type.topic.utf8), body]
        var accepted = false
        var missed = false
        do {
            accepted = try socket.send(frames)
            if !accepted {
                // ZeroMQ refuses for all when one subscriber is full. One stalled subscriber must not hold
                // the live bus back from the others (a VIP alert would wait for it): send this one event
                // lossy, so only the full ones miss it, and keep refusing as the rule for the next event.
                missed = true
                try socket.setOption(ZMQOption.xpubNoDrop, 0)
                defer { try? socket.setOption(ZMQOption.xpubNoDrop, 1) }
                accepted = try socket.send(frames)
            }
        } catch {
            logger.error("bus send failed", metadata: ["bus.seq": "\(seq)", "error": "\(error)"])
        }
        if accepted { publishedCount.add(1, ordering: .relaxed) }
        if !missed {
            if refusing {
                refusing = false
                logger.info("bus subscribers caught up", metadata: [
                    "bus.seq": "\(seq)", "bus.refusedMeanwhile": "\(refusedSinceAccepting)",
                ])
            }
        } else {
            refusedCount.add(1, ordering: .relaxed)
            if !refusing {
                refusing = true
                refusedSinceAccepting = 0
                // Once per episode: a slow subscriber would otherwise produce a line per event.
                logger.warning("bus subscriber at its high-water mark; it misses events until it recovers them from the journal", metadata: [
                    "bus.seq": "\(seq)",
                ])
            }
            refusedSinceAccepting += 1
        }
    }
}
