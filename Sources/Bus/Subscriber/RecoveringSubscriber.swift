import GatewayCore
import Logging
import Synchronization

/// One gateway's two endpoints: where it publishes and where it serves replay.
public struct BusSource: Sendable, Hashable, CustomStringConvertible {
    /// The PUB endpoint (`bus.publish` of that gateway, as reachable from here).
    public var bus: String
    /// The replay endpoint (`bus.replay` of that gateway, as reachable from here).
    public var replay: String

    /// Creates a source.
    public init(bus: String, replay: String) {
        self.bus = bus
        self.replay = replay
    }

    /// `bus` and `replay`, for logs.
    public var description: String { "\(bus) (replay \(replay))" }
}

/// A subscriber that never misses an event silently: it fills gaps and catches up from each
/// gateway's journal through its replay server (the zguide's Clone pattern).
///
/// It subscribes first, then for each gateway asks replay for everything after the last applied
/// seq (``resume(gateway:after:)``), so events published while the consumer was down are
/// recovered. In the live stream it de-duplicates by seq and, on a gap, holds later events back
/// while it fetches the missing range from replay. ``receive(maxBatch:timeout:)`` therefore returns
/// each gateway's events in seq order without gaps. What cannot be recovered (older than the
/// journal keeps, or replay unreachable after ``replayAttempts`` tries of ``replayTimeout`` each)
/// is skipped, counted in ``SubscriberStatistics/unrecoverable`` and logged at error with the
/// gateway and the range.
///
/// Each gateway id has its own seq space. The gateway a replay endpoint serves is learned by
/// asking it (`info`), so sources are given as pairs of endpoints, in any order.
///
/// Topics filter what is delivered, not what travels: the socket receives every event, since only
/// the whole stream shows gaps; events of other topics are accepted (they advance the seq) and
/// counted as `filtered`.
///
/// One thread at a time uses a subscriber; ``statistics`` may be read from any thread. That
/// promise is why the conformance to `Sendable` is unchecked.
public final class RecoveringSubscriber: EventReceiver, @unchecked Sendable {
    /// Where a gateway with no resumed cursor starts.
    public enum Start: Sendable, Equatable {
        /// With the oldest event its journal keeps: nothing the gateway published is missed (a store).
        case oldest
        /// With the first live event seen: history is not wanted (a dashboard).
        case live
    }

    /// Live events held back per gateway while a gap is filled; beyond it newer ones are dropped and fetched from replay later.
    static let holdLimit = 20_000
    /// How often a wait wakes to check replay deadlines.
    private static let tick: Duration = .milliseconds(50)

    /// The sources connected to.
    public let sources: [BusSource]
    /// The topic prefixes delivered; `[""]` is everything.
    public let topics: [String]
    /// Where gateways without a resumed cursor start.
    public let start: Start
    /// How long a replay request may go without an answer before it is retried.
    public let replayTimeout: Duration
    /// Tries per recovery before its range is given up as unrecoverable.
    public let replayAttempts: Int
    /// How long a gateway may be quiet before its replay endpoint is asked for its last seq.
    ///
    /// A gap shows only when a later event arrives; events refused at the end of a burst have no
    /// later event, so a quiet gateway is asked instead.
    public let tailCheckInterval: Duration

    let subscriber: ZMQSocket
    let clients: [ReplayClient]
    let codec = EventCodec()
    let logger: Logger
    let deliversEverything: Bool
    var gateways: [String: GatewayState] = [:]
    /// Events ready for the caller, in delivery order.
    var ready: [GatewayEvent] = []

    let receivedCount = Atomic<UInt64>(0)
    let deliveredCount = Atomic<UInt64>(0)
    let malformedCount = Atomic<UInt64>(0)
    let duplicateCount = Atomic<UInt64>(0)
    let gapCount = Atomic<UInt64>(0)
    let missingCount = Atomic<UInt64>(0)
    let replayedCount = Atomic<UInt64>(0)
    let unrecoverableCount = Atomic<UInt64>(0)
    let filteredCount = Atomic<UInt64>(0)

    /// What the subscriber knows about one gateway.
    struct GatewayState {
        /// The last seq accepted (delivered or filtered), or resumed.
        var last: UInt64
        /// Whether `last` came from the `.oldest` start rather than from the caller, so events already retired are no loss.
        var implicitStart: Bool
        /// Whether an open-ended replay from `last + 1` is still wanted: after a resume, or for a new gateway.
        var catchUp: Bool
        /// The last seq seen live, for gap statistics.
        var liveLast: UInt64?
        /// Live events beyond a gap, sorted by seq, waiting for replay to fill it.
        var held: [GatewayEvent] = []
        /// Failed tries of the current recovery.
        var failures = 0
        /// When the next try may start.
        var retryAt: ContinuousClock.Instant?
        /// Since when a recovery is wanted but no replay endpoint is known to serve the gateway.
        var waitingSince: ContinuousClock.Instant?
        /// When the gateway was last heard from, live or by replay; a long silence prompts a tail check.
        var lastHeard: ContinuousClock.Instant = .now
        /// Whether its journal was seen to end below `last`, so that is reported once.
        var reportedReset = false

        /// Whether replay is needed before more events can be delivered.
        var needsRecovery: Bool {
            catchUp || (held.first.map { $0.seq > last + 1 } ?? false)
        }
    }

    /// Subscribes to every source's bus and connects to every replay endpoint.
    ///
    /// - Parameters:
    ///   - sources: each gateway's bus and replay endpoints.
    ///   - topics: topic prefixes to deliver, e.g. `["pos."]`; `[""]` is everything.
    ///   - receiveHighWaterMark: live messages queued here before ZeroMQ pushes back on the publishers.
    ///   - start: where a gateway without ``resume(gateway:after:)`` starts.
    ///   - replayTimeout: how long a replay request may go without an answer before it is retried.
    ///   - replayAttempts: tries per recovery before its range is counted unrecoverable.
    ///   - tailCheckInterval: how long a gateway may be quiet before its replay endpoint is asked for its last seq.
    ///   - curve: the gateway's public key and this subscriber's key pair when the bus uses CURVE;
    ///     the bus and the replay endpoints are connected with it. `nil` for plain TCP.
    ///   - logger: where gaps, recoveries and losses are reported.
    /// - Throws: ``BusError`` with code `.config` for a malformed endpoint or setting, `.connect`
    ///   when ZeroMQ refuses one, `.socket` when a socket cannot be set up.
    public init(sources: [BusSource], topics: [String] = [""], receiveHighWaterMark: Int = 100_000, start: Start = .oldest,
                replayTimeout: Duration = .seconds(2), replayAttempts: Int = 3, tailCheckInterval: Duration = .seconds(1),
                curve: BusCurveClient? = nil, logger: Logger) throws(BusError) {
        guard !sources.isEmpty else { throw BusError(.config, "a recovering subscriber needs at least one source") }
        for endpoint in sources.flatMap({ [$0.bus, $0.replay] }) {
            if let problem = BusConfig.problem(endpoint: endpoint) { throw BusError(.config, problem) }
        }
        guard replayTimeout > .zero, replayAttempts >= 1, tailCheckInterval > .zero else {
            throw BusError(.config, "replay needs a positive timeout, at least one attempt, and a positive tail check interval")
        }
        let subscriber = try ZMQSocket(.sub)
        var clients: [ReplayClient] = []
        do {
            try subscriber.setOption(ZMQOption.receiveHighWaterMark, Int32(clamping: max(1, receiveHighWaterMark)))
            try subscriber.setOption(ZMQOption.linger, 0)
            if sources.contains(where: { $0.bus.hasPrefix("tcp://[") }) { try subscriber.setOption(ZMQOption.ipv6, 1) }
            // Everything, whatever `topics` says: a filtered stream has gaps that are not losses.
            if let curve { try subscriber.makeCurveClient(curve) }
            try subscriber.subscribe("")
            for source in sources { try subscriber.connect(source.bus) }
            for source in sources { clients.append(try ReplayClient(source: source, timeout: replayTimeout, curve: curve)) }
        } catch {
            subscriber.close()
            for client in clients { client.close() }
            throw error
        }
        self.sources = sources
        self.topics = topics
        self.start = start
        self.replayTimeout = replayTimeout
        self.replayAttempts = replayAttempts
        self.tailCheckInterval = tailCheckInterval
        self.subscriber = subscriber
        self.clients = clients
        self.logger = logger
        deliversEverything = topics.contains("")
        logger.info("bus subscribed with recovery", metadata: [
            "bus.sources": "\(sources.map(\.description).joined(separator: ", "))", "bus.topics": "\(topics)",
        ])
        // Learn which gateway each replay endpoint serves while the subscriptions settle.
        for client in clients { askInfo(client) }
    }

    /// Subscribes to pairs of endpoints; see ``init(sources:topics:receiveHighWaterMark:start:replayTimeout:replayAttempts:tailCheckInterval:logger:)``.
    public convenience init(endpoints: [(bus: String, replay: String)], topics: [String] = [""], receiveHighWaterMark: Int = 100_000,
                            start: Start = .oldest, curve: BusCurveClient? = nil, logger: Logger) throws(BusError) {
        try self.init(sources: endpoints.map { BusSource(bus: $0.bus, replay: $0.replay) }, topics: topics,
                      receiveHighWaterMark: receiveHighWaterMark, start: start, curve: curve, logger: logger)
    }

    /// What the subscriber has seen so far; safe to read from any thread.
    public var statistics: SubscriberStatistics {
        SubscriberStatistics(
            received: receivedCount.load(ordering: .relaxed),
            delivered: deliveredCount.load(ordering: .relaxed),
            malformed: malformedCount.load(ordering: .relaxed),
            duplicates: duplicateCount.load(ordering: .relaxed),
            gaps: gapCount.load(ordering: .relaxed),
            missing: missingCount.load(ordering: .relaxed),
            replayed: replayedCount.load(ordering: .relaxed),
            unrecoverable: unrecoverableCount.load(ordering: .relaxed),
            filtered: filteredCount.load(ordering: .relaxed)
        )
    }

    /// Seeds a gateway's last applied seq, typically with the cursor the consumer committed, and
    /// asks replay for everything after it.
    ///
    /// Call it before the first ``receive(maxBatch:timeout:)`` for every gateway with a cursor;
    /// events at or below `seq` are duplicates from then on.
    public func resume(gateway: String, after seq: UInt64) {
        var state = gateways[gateway] ?? GatewayState(last: seq, implicitStart: false, catchUp: true)
        state.last = seq
        state.implicitStart = false
        state.catchUp = true
        state.held.removeAll { $0.seq <= seq }
        gateways[gateway] = state
    }

    /// The last seq accepted (or resumed) for `gateway`; `nil` when it has not been seen.
    public func lastSeq(gateway: String) -> UInt64? {
        gateways[gateway]?.last
    }

    /// Waits up to `timeout` for events, and returns up to `maxBatch` of them: each gateway's in
    /// seq order, with nothing missing but what was reported unrecoverable.
    ///
    /// Replay answers and the live stream are both read here, on the caller's thread, so a caller
    /// that stops calling stops recovery too (and the publisher eventually refuses, which replay
    /// later makes good). Malformed messages and duplicates are skipped and counted, never thrown.
    ///
    /// - Returns: the events; empty when none came in time.
    /// - Throws: ``BusError`` only when a socket itself fails.
    public func receive(maxBatch: Int, timeout: Duration) throws(BusError) -> [GatewayEvent] {
        guard maxBatch > 0 else { return [] }
        let deadline = ContinuousClock.now + timeout
        while true {
            try pump(until: maxBatch)
            if !ready.isEmpty {
                let count = min(maxBatch, ready.count)
                let batch = Array(ready.prefix(count))
                ready.removeFirst(count)
                return batch
            }
            let now = ContinuousClock.now
            guard now < deadline else { return [] }
            let wake = min(deadline, now + min(Self.tick, replayTimeout))
            _ = try ZMQSocket.waitReadable([subscriber] + clients.map(\.socket), timeout: now.duration(to: wake))
        }
    }

    /// Disconnects from every bus and replay endpoint; later calls do nothing.
    public func close() {
        subscriber.close()
        for client in clients { client.close() }
    }

    /// Reads what has arrived (replay answers first, then the live stream) until `limit` events are ready, then starts the replays now due.
    private func pump(until limit: Int) throws(BusError) {
        let now = ContinuousClock.now
        for client in clients {
            while ready.count < limit, let answer = try client.nextAnswer() {
                handle(answer, from: client)
            }
            // Only an empty queue proves silence; a full `ready` may have left answers unread.
            if ready.count < limit, client.isOverdue(at: now) { timedOut(client) }
        }
        while ready.count < limit, let frames = try subscriber.receiveNow() {
            handleLive(frames)
        }
        schedule(now: .now)
    }

    // MARK: Live stream

    private func handleLive(_ frames: [[UInt8]]) {
        receivedCount.add(1, ordering: .relaxed)
        guard frames.count == 2 else {
            return reportMalformed("a message of \(frames.count) frames, expected 2 (topic, body)")
        }
        let event: GatewayEvent
        do {
            event = try codec.decode(topic: frames[0], body: frames[1])
        } catch {
            return reportMalformed("\(error.code): \(error.message)")
        }
        var state = gateways[event.gateway] ?? newGateway(event.gateway, firstLive: event.seq)
        if let liveLast = state.liveLast, event.seq > liveLast + 1, event.seq > state.last + 1 {
            let missing = event.seq - max(liveLast, state.last) - 1
            gapCount.add(1, ordering: .relaxed)
            missingCount.add(missing, ordering: .relaxed)
            logger.info("bus gap: fetching \(missing) events of gateway \(event.gateway) from replay", metadata: [
                "bus.gateway": "\(event.gateway)", "bus.missingFrom": "\(max(liveLast, state.last) + 1)", "bus.missingTo": "\(event.seq - 1)",
            ])
        }
        state.liveLast = max(state.liveLast ?? 0, event.seq)
        state.lastHeard = .now
        let (isHeld, index) = Self.position(of: event.seq, in: state.held)
        if event.seq <= state.last || isHeld {
            duplicateCount.add(1, ordering: .relaxed)
        } else if event.seq == state.last + 1 && !state.needsRecovery && state.held.isEmpty {
            accept(event, into: &state, replayed: false)
        } else if state.held.count < Self.holdLimit {
            state.held.insert(event, at: index)
        }
        // Beyond the limit the event is dropped here; it is in the journal, and the next recovery fetches it.
        gateways[event.gateway] = state
    }

    func newGateway(_ gateway: String, firstLive: UInt64?) -> GatewayState {
        switch start {
        case .oldest:
            return GatewayState(last: 0, implicitStart: true, catchUp: true)
        case .live:
            return GatewayState(last: (firstLive ?? 1) - 1, implicitStart: true, catchUp: false)
        }
    }

    /// Where `seq` is in `held`, sorted by seq: whether it is there, and the index it has or would have.
    ///
    /// Live events arrive in order, so the answer is almost always the end; the search keeps a
    /// long holdback from costing a scan per event.
    static func position(of seq: UInt64, in held: [GatewayEvent]) -> (found: Bool, index: Int) {
        var low = 0
        var high = held.count
        while low < high {
            let middle = (low + high) / 2
            if held[middle].seq < seq { low = middle + 1 } else { high = middle }
        }
        return (low < held.count && held[low].seq == seq, low)
    }

    /// Takes `event` as the gateway's next: `last` advances; the event is delivered if its topic is wanted.
    func accept(_ event: GatewayEvent, into state: inout GatewayState, replayed: Bool) {
        state.last = event.seq
        if replayed { replayedCount.add(1, ordering: .relaxed) }
        if deliversEverything || topics.contains(where: { event.type.topic.hasPrefix($0) }) {
            deliveredCount.add(1, ordering: .relaxed)
            ready.append(event)
        } else {
            filteredCount.add(1, ordering: .relaxed)
        }
    }

    /// Delivers held events that now follow on, and drops those replay already delivered.
    func release(_ state: inout GatewayState) {
        var taken = 0
        for event in state.held {
            if event.seq <= state.last {
                duplicateCount.add(1, ordering: .relaxed)
            } else if event.seq == state.last + 1 {
                accept(event, into: &state, replayed: false)
            } else {
                break
            }
            taken += 1
        }
        state.held.removeFirst(taken)
    }

    /// Skips `from…to` of `gateway` for good, counting and logging it.
    func giveUp(_ gateway: String, from: UInt64, to: UInt64, in state: inout GatewayState, reason: String) {
        guard to >= from else { return }
        let count = to - from + 1
        unrecoverableCount.add(count, ordering: .relaxed)
        logger.error("bus events lost: \(count) events of gateway \(gateway) cannot be recovered (\(reason))", metadata: [
            "bus.gateway": "\(gateway)", "bus.lostFrom": "\(from)", "bus.lostTo": "\(to)", "reason": "\(reason)",
        ])
        state.last = max(state.last, to)
    }

    func reportMalformed(_ reason: String) {
        let count = malformedCount.add(1, ordering: .relaxed).newValue
        // The first few in full, then a reminder now and then: a broken peer must not flood the log.
        guard count <= 10 || count % 1_000 == 0 else { return }
        logger.warning("bus malformed message skipped", metadata: ["bus.malformedSoFar": "\(count)", "reason": "\(reason)"])
    }
}
