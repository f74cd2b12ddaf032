import GatewayCore
import Logging
import Synchronization

/// What a subscriber has seen since it started; every count is cumulative.
///
/// For an ``EventSubscriber`` `received == delivered + malformed + duplicates` always holds. A
/// ``RecoveringSubscriber`` also counts replayed events in `received`, and events it holds back
/// while a gap is filled are in no count until they are delivered or found to be duplicates.
public struct SubscriberStatistics: Sendable, Equatable {
    /// Messages taken off the socket, of any kind.
    public var received: UInt64
    /// Events handed to the caller.
    public var delivered: UInt64
    /// Messages that were not a valid event for their topic; logged and skipped.
    public var malformed: UInt64
    /// Events at or below a gateway's last seq; dropped.
    public var duplicates: UInt64
    /// Places where a gateway's seq jumped ahead.
    public var gaps: UInt64
    /// Events missing in those jumps, summed: what replay must fetch.
    public var missing: UInt64
    /// Events fetched from replay and accepted (``RecoveringSubscriber`` only).
    public var replayed: UInt64
    /// Events that could not be recovered: no longer kept, or replay unreachable (``RecoveringSubscriber`` only).
    /// Each loss is also logged at error with the gateway and the range.
    public var unrecoverable: UInt64
    /// Events received and accepted but not delivered because their topic was not asked for (``RecoveringSubscriber`` only).
    public var filtered: UInt64

    /// Creates statistics.
    public init(received: UInt64 = 0, delivered: UInt64 = 0, malformed: UInt64 = 0, duplicates: UInt64 = 0, gaps: UInt64 = 0, missing: UInt64 = 0,
                replayed: UInt64 = 0, unrecoverable: UInt64 = 0, filtered: UInt64 = 0) {
        self.received = received
        self.delivered = delivered
        self.malformed = malformed
        self.duplicates = duplicates
        self.gaps = gaps
        self.missing = missing
        self.replayed = replayed
        self.unrecoverable = unrecoverable
        self.filtered = filtered
    }
}

/// Receives events from one or more gateways, dropping duplicates and reporting gaps.
///
/// A SUB socket connects to every endpoint; ZeroMQ fans many gateways into it. Per gateway the
/// subscriber remembers the last seq it delivered: an event at or below it is a duplicate (as
/// replay overlapping the live stream produces) and is dropped; an event beyond the next seq
/// reveals a gap, which is counted and logged but the event is still delivered, so the caller
/// can fetch the missing range. The first event from a gateway not seeded with
/// ``resume(gateway:after:)`` starts its count wherever it is.
///
/// One thread at a time uses a subscriber; ``statistics`` may be read from any thread. That
/// promise is why the conformance to `Sendable` is unchecked.
public final class EventSubscriber: EventReceiver, @unchecked Sendable {
    /// The endpoints connected to.
    public let endpoints: [String]

    private let socket: ZMQSocket
    private let codec = EventCodec()
    private let logger: Logger
    private var lastSeqs: [String: UInt64] = [:]

    private let receivedCount = Atomic<UInt64>(0)
    private let deliveredCount = Atomic<UInt64>(0)
    private let malformedCount = Atomic<UInt64>(0)
    private let duplicateCount = Atomic<UInt64>(0)
    private let gapCount = Atomic<UInt64>(0)
    private let missingCount = Atomic<UInt64>(0)

    /// Connects a SUB socket to `endpoints` and subscribes to `topics`.
    ///
    /// - Parameters:
    ///   - endpoints: publishers to connect to; ZeroMQ reconnects by itself when one goes away.
    ///   - topics: topic prefixes to receive, e.g. `["pos.", "customer."]`; `[""]` is everything.
    ///   - receiveHighWaterMark: messages queued here before ZeroMQ pushes back on the publishers.
    ///   - curve: the gateway's public key and this subscriber's key pair when the bus uses CURVE
    ///     (every endpoint is connected with it); `nil` for plain TCP.
    ///   - logger: where malformed messages and gaps are reported.
    /// - Throws: ``BusError`` with code `.config` for a malformed endpoint, `.connect` when
    ///   ZeroMQ refuses one, `.socket` when the socket cannot be set up.
    public init(endpoints: [String], topics: [String] = [""], receiveHighWaterMark: Int = 100_000, curve: BusCurveClient? = nil,
                logger: Logger) throws(BusError) {
        guard !endpoints.isEmpty else { throw BusError(.config, "a subscriber needs at least one endpoint") }
        for endpoint in endpoints {
            if let problem = BusConfig.problem(endpoint: endpoint) { throw BusError(.config, problem) }
        }
        let socket = try ZMQSocket(.sub)
        do {
            try socket.setOption(ZMQOption.receiveHighWaterMark, Int32(clamping: max(1, receiveHighWaterMark)))
            // A subscriber that closes has nothing worth sending; do not let close wait.
            try socket.setOption(ZMQOption.linger, 0)
            if endpoints.contains(where: { $0.hasPrefix("tcp://[") }) { try socket.setOption(ZMQOption.ipv6, 1) }
            if let curve { try socket.makeCurveClient(curve) }
            // Subscribing before connecting means no message arrives unfiltered in between.
            for topic in topics { try socket.subscribe(topic) }
            for endpoint in endpoints { try socket.connect(endpoint) }
        } catch {
            socket.close()
            throw error
        }
        self.socket = socket
        self.endpoints = endpoints
        self.logger = logger
        logger.info("bus subscribed", metadata: ["bus.endpoints": "\(endpoints.joined(separator: ", "))", "bus.topics": "\(topics)"])
    }

    /// What the subscriber has seen so far; safe to read from any thread.
    public var statistics: SubscriberStatistics {
        SubscriberStatistics(
            received: receivedCount.load(ordering: .relaxed),
            delivered: deliveredCount.load(ordering: .relaxed),
            malformed: malformedCount.load(ordering: .relaxed),
            duplicates: duplicateCount.load(ordering: .relaxed),
            gaps: gapCount.load(ordering: .relaxed),
            missing: missingCount.load(ordering: .relaxed)
        )
    }

    /// Seeds a gateway's last seq, typically with the cursor the store committed, so that a
    /// replayed or repeated event at or below it is a duplicate and a jump past it is a gap.
    public func resume(gateway: String, after seq: UInt64) {
        lastSeqs[gateway] = seq
    }

    /// The last seq delivered (or resumed) for `gateway`; `nil` when it has not been seen.
    public func lastSeq(gateway: String) -> UInt64? {
        lastSeqs[gateway]
    }

    /// Waits up to `timeout` for an event, then takes whatever else is already queued, up to `maxBatch` events.
    ///
    /// Malformed messages and duplicates are skipped (and counted), never thrown.
    ///
    /// - Returns: the events in arrival order; empty when none came in time.
    /// - Throws: ``BusError`` only when the socket itself fails.
    public func receive(maxBatch: Int, timeout: Duration) throws(BusError) -> [GatewayEvent] {
        guard maxBatch > 0 else { return [] }
        var events: [GatewayEvent] = []
        let deadline = ContinuousClock.now + timeout
        // Waits until something deliverable arrives, so a run of duplicates does not look like a timeout.
        while events.isEmpty {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard let frames = try socket.receive(timeout: max(remaining, .zero)) else { return events }
            handle(frames, into: &events)
        }
        while events.count < maxBatch, let frames = try socket.receiveNow() {
            handle(frames, into: &events)
        }
        return events
    }

    /// Disconnects; later calls do nothing.
    public func close() {
        socket.close()
    }

    private func handle(_ frames: [[UInt8]], into events: inout [GatewayEvent]) {
        receivedCount.add(1, ordering: .relaxed)
        guard frames.count == 2 else {
            reportMalformed("a message of \(frames.count) frames, expected 2 (topic, body)", topic: frames.first)
            return
        }
        let event: GatewayEvent
        do {
            event = try codec.decode(topic: frames[0], body: frames[1])
        } catch {
            reportMalformed("\(error.code): \(error.message)", topic: frames[0])
            return
        }
        if let last = lastSeqs[event.gateway] {
            if event.seq <= last {
                duplicateCount.add(1, ordering: .relaxed)
                return
            }
            if event.seq > last + 1 {
                let missing = event.seq - last - 1
                gapCount.add(1, ordering: .relaxed)
                missingCount.add(missing, ordering: .relaxed)
                logger.warning("bus gap: \(missing) events missing from gateway \(event.gateway)", metadata: [
                    "bus.gateway": "\(event.gateway)", "bus.missingFrom": "\(last + 1)", "bus.missingTo": "\(event.seq - 1)",
                ])
            }
        } else {
            logger.debug("bus first event from gateway", metadata: ["bus.gateway": "\(event.gateway)", "bus.seq": "\(event.seq)"])
        }
        lastSeqs[event.gateway] = event.seq
        deliveredCount.add(1, ordering: .relaxed)
        events.append(event)
    }

    private func reportMalformed(_ reason: String, topic: [UInt8]?) {
        let count = malformedCount.add(1, ordering: .relaxed).newValue
        // The first few in full, then a reminder now and then: a broken publisher must not flood the log.
        guard count <= 10 || count % 1_000 == 0 else { return }
        logger.warning("bus malformed message skipped", metadata: [
            "bus.topic": "\(topic.map { String(decoding: $0.prefix(64), as: UTF8.self) } ?? "")",
            "bus.malformedSoFar": "\(count)", "reason": "\(reason)",
        ])
    }
}
