import CZeroMQ
import Foundation
import Logging
import Synchronization

/// What a replay server has done since it started; every count is cumulative except `activeStreams`.
public struct ReplayServerStatistics: Sendable, Equatable {
    /// Requests answered, of any kind.
    public var requests: UInt64
    /// Events sent in batches.
    public var eventsSent: UInt64
    /// Requests answered with an error (retention, unknown gateway, malformed, busy, journal).
    public var errors: UInt64
    /// Replays dropped before their end: the peer went away or stopped reading.
    public var abandoned: UInt64
    /// Replays being streamed now.
    public var activeStreams: Int

    /// Creates statistics.
    public init(requests: UInt64 = 0, eventsSent: UInt64 = 0, errors: UInt64 = 0, abandoned: UInt64 = 0, activeStreams: Int = 0) {
        self.requests = requests
        self.eventsSent = eventsSent
        self.errors = errors
        self.abandoned = abandoned
        self.activeStreams = activeStreams
    }
}

/// Serves "events of gateway G from seq N [to M]" from the journal on a ROUTER socket.
///
/// The protocol is in `docs/replay.md`: a DEALER sends one JSON request frame and gets zero or
/// more `batch` messages of up to ``batchSize`` event bodies, then an `end`, or an `error`
/// (`retention` when N is older than the journal keeps).
///
/// The server runs on its own thread with its own socket, and only reads the journal, which is
/// safe alongside the publisher's appends; it never slows the publisher beyond those reads. A
/// replay is streamed a batch at a time, and a peer that stops reading holds at most a few
/// batches in ZeroMQ's queue (and is dropped after ``stallTimeout``), so a huge replay is never
/// buffered whole. Many peers are served round-robin, one batch each per turn.
///
/// Call ``start()`` to begin serving and ``stop()`` to end; the socket is bound at init, so a
/// busy endpoint fails there.
public final class ReplayServer: @unchecked Sendable {
    /// Events per `batch` message at most.
    public static let batchSize = 500
    /// Replays streamed at once; more requests are answered `busy`.
    public static let maxStreams = 32
    /// How long a peer may leave its replay unread before the server drops it.
    public static let stallTimeout: Duration = .seconds(60)
    /// Batches queued per peer before the server waits for it to read: bounds memory per replay.
    static let sendHighWaterMark: Int32 = 8

    /// The endpoint the socket is bound to.
    public let endpoint: String
    /// The gateway whose journal is served.
    public let gateway: String

    private let journal: Journal
    private let socket: ZMQSocket
    /// The ZAP domain of the socket's allow-list when it is a CURVE server.
    private let curveDomain: String?
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let lifecycle = Mutex<(started: Bool, stopped: Bool)>((false, false))
    private let exited = DispatchSemaphore(value: 0)

    private let requestCount = Atomic<UInt64>(0)
    private let eventCount = Atomic<UInt64>(0)
    private let errorCount = Atomic<UInt64>(0)
    private let abandonedCount = Atomic<UInt64>(0)
    private let streamCount = Atomic<Int>(0)

    /// Binds a ROUTER socket on `endpoint` serving `journal` as gateway `gateway`'s.
    ///
    /// - Parameters:
    ///   - endpoint: where to bind, e.g. `tcp://127.0.0.1:5557`.
    ///   - journal: the publisher's journal (``EventPublisher/journal``).
    ///   - gateway: the gateway id the journal's events carry; requests for another are refused.
    ///   - allowNonLoopback: whether a TCP address other than loopback may be bound (see ``BusConfig/allowNonLoopback``).
    ///   - curve: CURVE keys and allow-list (see ``BusConfig/curve``); `nil` serves plain TCP.
    ///   - logger: where the server reports.
    /// - Throws: ``BusError`` with code `.config` for an unusable endpoint, `.bind` when it cannot be bound.
    public init(endpoint: String, journal: Journal, gateway: String, allowNonLoopback: Bool = false, curve: BusCurveServer? = nil,
                logger: Logger) throws(BusError) {
        if let problem = BusConfig.problem(bindEndpoint: endpoint, allowNonLoopback: allowNonLoopback, curve: curve != nil) {
            throw BusError(.config, "bus.replay: \(problem)")
        }
        let socket = try ZMQSocket(.router)
        var curveDomain: String?
        do {
            // The journal is as readable as the live bus, so replay admits the same subscribers.
            if let curve { curveDomain = try socket.makeCurveServer(curve, role: "replay", logger: logger) }
            // A peer that went away makes sends fail rather than vanish, so its replay stops at once.
            try socket.setOption(ZMQ_ROUTER_MANDATORY, 1)
            try socket.setOption(ZMQOption.sendHighWaterMark, Self.sendHighWaterMark)
            try socket.setOption(ZMQOption.linger, 0)
            if endpoint.hasPrefix("tcp://[") { try socket.setOption(ZMQOption.ipv6, 1) }
            try socket.bind(endpoint)
        } catch {
            socket.close()
            if let curveDomain { ZAPAuthenticator.shared.unregister(domain: curveDomain) }
            throw error
        }
        self.socket = socket
        self.curveDomain = curveDomain
        self.endpoint = socket.lastEndpoint ?? endpoint
        self.journal = journal
        self.gateway = gateway
        self.logger = logger
    }

    /// Binds `configuration.replay`, honouring `configuration.allowNonLoopback`.
    public convenience init(configuration: BusConfig, journal: Journal, gateway: String, logger: Logger) throws(BusError) {
        try self.init(endpoint: configuration.replay, journal: journal, gateway: gateway, allowNonLoopback: configuration.allowNonLoopback,
                      curve: configuration.curve, logger: logger)
    }

    /// The subscribers CURVE let in and turned away; zeros without CURVE.
    public var curveAccess: CurveAccessStatistics {
        curveDomain.map { ZAPAuthenticator.shared.statistics(domain: $0) } ?? CurveAccessStatistics()
    }

    /// What the server has done so far; safe to read from any thread.
    public var statistics: ReplayServerStatistics {
        ReplayServerStatistics(
            requests: requestCount.load(ordering: .relaxed),
            eventsSent: eventCount.load(ordering: .relaxed),
            errors: errorCount.load(ordering: .relaxed),
            abandoned: abandonedCount.load(ordering: .relaxed),
            activeStreams: streamCount.load(ordering: .relaxed)
        )
    }

    /// Starts serving on a thread of its own; later calls, and calls after ``stop()``, do nothing.
    public func start() {
        let start = lifecycle.withLock { state -> Bool in
            guard !state.started, !state.stopped else { return false }
            state.started = true
            return true
        }
        guard start else { return }
        let thread = Thread { [self] in
            serve()
            exited.signal()
        }
        thread.name = "bus-replay"
        thread.start()
        logger.info("bus replay serving", metadata: ["bus.replay": "\(endpoint)", "bus.gateway": "\(gateway)"])
    }

    /// Stops serving, abandoning replays in progress, and closes the socket; later calls do nothing.
    ///
    /// ZeroMQ releases the endpoint on its I/O thread, so it can be bound again a moment later, not at once.
    public func stop() {
        let (started, alreadyStopped) = lifecycle.withLock { state -> (Bool, Bool) in
            defer { state.stopped = true }
            return (state.started, state.stopped)
        }
        guard !alreadyStopped else { return }
        stopping.store(true, ordering: .releasing)
        // The thread notices within one poll interval.
        if started { exited.wait() }
        socket.close()
        if let curveDomain { ZAPAuthenticator.shared.unregister(domain: curveDomain) }
        let statistics = statistics
        logger.info("bus replay stopped", metadata: [
            "bus.replay": "\(endpoint)", "bus.replayRequests": "\(statistics.requests)", "bus.replayEvents": "\(statistics.eventsSent)",
        ])
    }

    // MARK: Serving

    /// One replay being streamed to one peer.
    private struct Stream {
        /// The frames that route an answer back: the peer's identity, and the empty delimiter when the request had one.
        var envelope: [[UInt8]]
        var id: ReplayProtocol.RequestID?
        var from: UInt64
        var to: UInt64
        var lastSeq: UInt64
        var nextSeq: UInt64
        var sent: UInt64 = 0
        var position: Journal.ReadPosition?
        /// The next message, read from the journal but not yet taken by ZeroMQ.
        var pending: [[UInt8]]?
        var pendingIsFinal = false
        var pendingEvents = 0
        var lastProgress: ContinuousClock.Instant
    }

    private enum Outcome {
        case sent, blocked, finished, dropped
    }

    private func serve() {
        var streams: [Stream] = []
        var busy = false
        while !stopping.load(ordering: .acquiring) {
            // Idle, wait for requests; streaming but blocked, look again soon; streaming freely, do not wait.
            let timeout: Duration = streams.isEmpty ? .milliseconds(100) : busy ? .zero : .milliseconds(2)
            do {
                var taken = 0
                if let frames = try socket.receive(timeout: timeout) {
                    handle(frames, streams: &streams)
                    taken += 1
                    // A burst of requests must not starve the streams in progress.
                    while taken < 64, let frames = try socket.receiveNow() {
                        handle(frames, streams: &streams)
                        taken += 1
                    }
                }
            } catch {
                logger.error("bus replay cannot receive", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: 0.1)
            }
            busy = false
            var index = 0
            while index < streams.count {
                switch pump(&streams[index]) {
                case .sent:
                    busy = true
                    index += 1
                case .blocked:
                    index += 1
                case .finished, .dropped:
                    streams.remove(at: index)
                }
            }
            streamCount.store(streams.count, ordering: .relaxed)
        }
        if !streams.isEmpty {
            abandonedCount.add(UInt64(streams.count), ordering: .relaxed)
            logger.info("bus replay stopped with replays in progress", metadata: ["bus.replayStreams": "\(streams.count)"])
        }
        streamCount.store(0, ordering: .relaxed)
    }

    /// Answers a request: info and errors at once, a replay by adding a stream.
    private func handle(_ frames: [[UInt8]], streams: inout [Stream]) {
        requestCount.add(1, ordering: .relaxed)
        guard frames.count >= 2 else { return }
        // A DEALER sends [identity, request]; one imitating REQ sends [identity, "", request]. Answers mirror it.
        let hasDelimiter = frames.count >= 3 && frames[1].isEmpty
        let envelope = hasDelimiter ? [frames[0], []] : [frames[0]]
        let body = frames[frames.count - 1]
        guard frames.count == envelope.count + 1 else {
            return refuse(envelope, nil, .badRequest, "a request is one JSON frame, got \(frames.count - envelope.count)")
        }
        let request: ReplayProtocol.Request
        do {
            request = try JSONDecoder().decode(ReplayProtocol.Request.self, from: Data(body))
        } catch {
            return refuse(envelope, nil, .badRequest, "the request is not a JSON object with op, id, gateway, from and to: \(error)")
        }
        // A peer has one replay at a time; a new request (a retry, say) replaces the old one.
        streams.removeAll { $0.envelope == envelope }
        switch request.op ?? "replay" {
        case "info":
            let header = ReplayProtocol.InfoHeader(id: request.id, gateway: gateway, firstSeq: journal.firstSeq, lastSeq: journal.lastSeq)
            send(envelope, .info, ReplayProtocol.encode(header))
        case "replay":
            startReplay(request, envelope: envelope, streams: &streams)
        case let op:
            refuse(envelope, request.id, .badRequest, "unknown op '\(op)' (replay, info)")
        }
    }

    private func startReplay(_ request: ReplayProtocol.Request, envelope: [[UInt8]], streams: inout [Stream]) {
        guard let requested = request.gateway else {
            return refuse(envelope, request.id, .badRequest, "the request names no gateway")
        }
        guard requested == gateway else {
            return refuse(envelope, request.id, .unknownGateway, "this replay server serves gateway \(gateway), not \(requested)", gateway: requested)
        }
        guard let from = request.from, from >= 1 else {
            return refuse(envelope, request.id, .badRequest, "the request needs from, a seq of 1 or more", gateway: requested)
        }
        guard streams.count < Self.maxStreams else {
            return refuse(envelope, request.id, .busy, "\(Self.maxStreams) replays are in progress; retry shortly", gateway: requested)
        }
        let lastSeq = journal.lastSeq
        let firstSeq = journal.firstSeq
        if from < firstSeq {
            logger.info("bus replay refused: before retention", metadata: [
                "bus.gateway": "\(gateway)", "bus.from": "\(from)", "bus.oldest": "\(firstSeq)",
            ])
            return refuse(envelope, request.id, .retention, "events before seq \(firstSeq) are no longer kept (oldest: \(firstSeq))",
                          gateway: gateway, oldest: firstSeq, lastSeq: lastSeq)
        }
        let to = min(request.to ?? lastSeq, lastSeq)
        logger.debug("bus replay", metadata: ["bus.gateway": "\(gateway)", "bus.from": "\(from)", "bus.to": "\(to)"])
        var stream = Stream(envelope: envelope, id: request.id, from: from, to: to, lastSeq: lastSeq, nextSeq: from, lastProgress: .now)
        // Start at once, so a short replay often completes within this turn.
        for _ in 0..<2 {
            let outcome = pump(&stream)
            if outcome == .finished || outcome == .dropped { return }
            if outcome == .blocked { break }
        }
        streams.append(stream)
    }

    /// Reads the stream's next message if it has none waiting, and offers it to ZeroMQ.
    private func pump(_ stream: inout Stream) -> Outcome {
        if stream.pending == nil {
            fill(&stream)
        }
        guard let message = stream.pending else { return .finished }
        do {
            guard try socket.send(stream.envelope + message) else {
                if stream.lastProgress.duration(to: .now) > Self.stallTimeout {
                    abandonedCount.add(1, ordering: .relaxed)
                    logger.info("bus replay dropped: the peer stopped reading", metadata: [
                        "bus.gateway": "\(gateway)", "bus.from": "\(stream.from)", "bus.sent": "\(stream.sent)",
                    ])
                    return .dropped
                }
                return .blocked
            }
        } catch {
            // With ROUTER_MANDATORY an unroutable peer fails the send: it disconnected.
            abandonedCount.add(1, ordering: .relaxed)
            logger.debug("bus replay dropped: the peer is gone", metadata: ["bus.from": "\(stream.from)", "error": "\(error)"])
            return .dropped
        }
        eventCount.add(UInt64(stream.pendingEvents), ordering: .relaxed)
        stream.pending = nil
        stream.pendingEvents = 0
        stream.lastProgress = .now
        return stream.pendingIsFinal ? .finished : .sent
    }

    /// Prepares the stream's next message: a batch from the journal, the end, or a journal error.
    private func fill(_ stream: inout Stream) {
        var records: [(UInt64, [UInt8])] = []
        if stream.nextSeq <= stream.to {
            do {
                records = try journal.read(from: stream.nextSeq, through: stream.to, limit: Self.batchSize, position: &stream.position)
            } catch {
                errorCount.add(1, ordering: .relaxed)
                logger.error("bus replay cannot read the journal", metadata: ["bus.from": "\(stream.nextSeq)", "error": "\(error)"])
                let header = ReplayProtocol.ErrorHeader(id: stream.id, code: .journal, message: error.message, gateway: gateway)
                stream.pending = [Array(ReplayProtocol.Kind.error.rawValue.utf8), ReplayProtocol.encode(header)]
                stream.pendingIsFinal = true
                return
            }
        }
        guard let first = records.first, let last = records.last else {
            // Nothing more in range: what the journal lacks (retired meanwhile, never journalled) the client sees as missing.
            let header = ReplayProtocol.EndHeader(id: stream.id, gateway: gateway, from: stream.from, to: stream.to, count: stream.sent,
                                                  lastSeq: stream.lastSeq)
            stream.pending = [Array(ReplayProtocol.Kind.end.rawValue.utf8), ReplayProtocol.encode(header)]
            stream.pendingIsFinal = true
            return
        }
        let header = ReplayProtocol.BatchHeader(id: stream.id, gateway: gateway, from: first.0, to: last.0, count: records.count)
        var message: [[UInt8]] = [Array(ReplayProtocol.Kind.batch.rawValue.utf8), ReplayProtocol.encode(header)]
        message.reserveCapacity(records.count + 2)
        for (_, body) in records { message.append(body) }
        stream.pending = message
        stream.pendingIsFinal = false
        stream.pendingEvents = records.count
        stream.sent += UInt64(records.count)
        stream.nextSeq = last.0 + 1
    }

    private func refuse(_ envelope: [[UInt8]], _ id: ReplayProtocol.RequestID?, _ code: ReplayProtocol.ErrorCode, _ message: String,
                        gateway: String? = nil, oldest: UInt64? = nil, lastSeq: UInt64? = nil) {
        errorCount.add(1, ordering: .relaxed)
        let header = ReplayProtocol.ErrorHeader(id: id, code: code, message: message, gateway: gateway, oldest: oldest, lastSeq: lastSeq)
        send(envelope, .error, ReplayProtocol.encode(header))
    }

    /// Sends a one-off answer; one a peer cannot take now is dropped, and the peer's timeout retries.
    private func send(_ envelope: [[UInt8]], _ kind: ReplayProtocol.Kind, _ header: [UInt8]) {
        do {
            if try !socket.send(envelope + [Array(kind.rawValue.utf8), header]) {
                logger.debug("bus replay answer dropped: the peer's queue is full", metadata: ["bus.kind": "\(kind.rawValue)"])
            }
        } catch {
            logger.debug("bus replay answer dropped: the peer is gone", metadata: ["bus.kind": "\(kind.rawValue)", "error": "\(error)"])
        }
    }
}
