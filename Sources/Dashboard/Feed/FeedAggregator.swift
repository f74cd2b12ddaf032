import Bus
import Foundation
import GatewayCore
import Synchronization

/// The dashboard's state and its browsers: events and samples go in, JSON messages come out.
///
/// One lock guards the state, the message ring and the browser list together, so a browser that
/// connects gets a snapshot (or a replay) and then exactly the messages after it, none twice and
/// none lost. Broadcasting only yields into each browser's buffered stream, so the lock is never
/// held across a slow network write.
public final class FeedAggregator: Sendable {
    /// How many recent messages a reconnecting browser can resume from.
    public static let replayCapacity = 1_024
    static let maxAlerts = 50
    static let maxPresence = 30
    static let maxSales = 20
    static let historyLength = 60

    /// Identifies this process's message numbering.
    public let epoch: String

    struct Inner {
        var state = DashboardState()
        var seq: UInt64 = 0
        var ring: [(seq: UInt64, text: String)] = []
        var clients: [UInt64: AsyncStream<String>.Continuation] = [:]
        var nextClient: UInt64 = 0
        var zoneOrder: [String] = []
        var alertTokens: [String: String] = [:]
        /// Tokens erased while this process runs: kept out of the CLV ranking even when the store
        /// read next has not applied the erasure yet (a store fed over the bus).
        var erasedTokens: Set<String> = []
        /// A `customer.segment` or `customer.erased` arrived since the Segments section was last read.
        var segmentsChanged = false
        var lastSeqs: [String: UInt64] = [:]
        var revenue: Decimal = 0
        var eventsSinceTick: UInt64 = 0
        var lastTick: ContinuousClock.Instant?
        var lastAccepted: [String: UInt64] = [:]
        var statusReads: [String: (reads: UInt64, at: ContinuousClock.Instant)] = [:]
        // Kept under the lock: JSONEncoder is not thread-safe.
        let encoder: JSONEncoder = {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            return encoder
        }()
    }

    private let inner: Mutex<Inner>

    /// Creates an aggregator; `zones` and `sources` from the config pre-populate the floor and the readers.
    public init(zones: [String] = [], sources: [(name: String, kind: String)] = [], gateway: String = "") {
        var initial = Inner()
        initial.zoneOrder = zones
        initial.state.zones = zones.map { DashboardState.ZoneCount(name: $0) }
        initial.state.readers = sources.map { DashboardState.Reader(name: $0.name, gateway: gateway, kind: $0.kind, state: "waiting") }
        if !gateway.isEmpty { initial.state.gateways = [gateway] }
        inner = Mutex(initial)
        var generator = SystemRandomNumberGenerator()
        epoch = String(generator.next() as UInt64, radix: 36)
    }

    /// The whole state now.
    public var state: DashboardState { inner.withLock { $0.state } }

    /// The seq of the latest message.
    public var seq: UInt64 { inner.withLock { $0.seq } }

    /// The last bus seq applied per gateway.
    public var appliedSeqs: [String: UInt64] { inner.withLock { $0.lastSeqs } }

    // MARK: Browsers

    /// A connected browser: what to send first, then the live stream.
    public struct Connection: Sendable {
        /// The client's id, for ``disconnect(_:)``.
        public let id: UInt64
        /// Messages to send before the stream: a snapshot, or the missed messages of a resume.
        public let initial: [String]
        /// Live messages.
        public let stream: AsyncStream<String>
    }

    /// Registers a browser. With `resumeAfter` and a matching `epoch` it gets the messages it missed,
    /// when the ring still has them all; otherwise a fresh snapshot.
    public func connect(resumeAfter: UInt64? = nil, epoch clientEpoch: String? = nil, buffer: Int = 512) -> Connection {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
        return inner.withLock { inner in
            var initial: [String] = []
            if let after = resumeAfter, clientEpoch == epoch, after <= inner.seq,
               after == inner.seq || (inner.ring.first.map { $0.seq <= after + 1 } ?? false) {
                initial = inner.ring.filter { $0.seq > after }.map(\.text)
            } else {
                initial = [encode(inner.encoder, FeedMessage(kind: "snapshot", seq: inner.seq, epoch: epoch, state: inner.state, patch: nil))]
            }
            let id = inner.nextClient
            inner.nextClient += 1
            inner.clients[id] = continuation
            inner.state.system.clients = inner.clients.count
            return Connection(id: id, initial: initial, stream: stream)
        }
    }

    /// Forgets a browser that went away.
    public func disconnect(_ id: UInt64) {
        inner.withLock { inner in
            inner.clients.removeValue(forKey: id)?.finish()
            inner.state.system.clients = inner.clients.count
        }
    }

    /// Ends every browser's stream (shutdown).
    public func finishAll() {
        inner.withLock { inner in
            for continuation in inner.clients.values { continuation.finish() }
            inner.clients.removeAll()
        }
    }

    /// Browsers connected now.
    public var clientCount: Int { inner.withLock { $0.clients.count } }

    // MARK: Inputs

    /// Applies a batch of bus events and broadcasts one patch with what changed.
    public func apply(_ events: [GatewayEvent]) {
        guard !events.isEmpty else { return }
        inner.withLock { inner in
            var patch = FeedMessage.Patch()
            for event in events { apply(event, to: &inner, patch: &patch) }
            broadcast(patch, in: &inner)
        }
    }

    /// Acknowledges an alert for everyone; `false` when there is no such alert.
    @discardableResult
    public func acknowledge(alert id: String, by user: String) -> Bool {
        inner.withLock { inner in
            guard let index = inner.state.alerts.firstIndex(where: { $0.id == id }) else { return false }
            guard !inner.state.alerts[index].acknowledged else { return true }
            inner.state.alerts[index].acknowledged = true
            inner.state.alerts[index].acknowledgedBy = user
            var patch = FeedMessage.Patch()
            patch.alerts = inner.state.alerts
            broadcast(patch, in: &inner)
            return true
        }
    }

    /// The Segments section, as read from the CRM store.
    public func setSegments(_ summary: SegmentSummary) {
        inner.withLock { inner in
            var segments = DashboardState.Segments()
            segments.fromStore = true
            segments.tiers = Self.ranked(summary.tiers)
            var perSegment: [String: Int] = [:]
            for cell in summary.bySegmentAndTier { perSegment[cell.segment, default: 0] += cell.count }
            segments.segments = Self.ranked(perSegment)
            let order = Dictionary(uniqueKeysWithValues: segments.segments.enumerated().map { ($1.name, $0) })
            segments.bySegmentAndTier = summary.bySegmentAndTier.sorted {
                order[$0.segment] != order[$1.segment] ? order[$0.segment, default: 0] < order[$1.segment, default: 0]
                    : $0.count != $1.count ? $0.count > $1.count : $0.tier < $1.tier
            }
            segments.topCustomers = summary.topCustomers.filter { !inner.erasedTokens.contains($0.token) }
            segments.lastRun = summary.lastRun
            guard segments != inner.state.segments else { return }
            inner.state.segments = segments
            var patch = FeedMessage.Patch()
            patch.segments = segments
            broadcast(patch, in: &inner)
        }
    }

    /// Whether the Segments section should be read again because a segment change or an erasure
    /// arrived; clears the mark.
    public func takeSegmentsChanged() -> Bool {
        inner.withLock { inner in
            defer { inner.segmentsChanged = false }
            return inner.segmentsChanged
        }
    }

    static func ranked(_ counts: [String: Int]) -> [DashboardState.Count] {
        counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { DashboardState.Count(name: $0.key, count: $0.value) }
    }

    /// Once a second: rates, sparklines, and, inside a gateway, its in-process counters.
    public func tick(sample: SystemSample?, feed: FeedHealth = FeedHealth(), now: ContinuousClock.Instant = .now) {
        inner.withLock { inner in
            let seconds = inner.lastTick.map { Self.seconds(now - $0) } ?? 1
            inner.lastTick = now
            var system = inner.state.system
            system.eventsPerSecond = seconds > 0 ? Double(inner.eventsSinceTick) / seconds : 0
            inner.eventsSinceTick = 0
            system.gaps = feed.gaps
            system.recovered = feed.recovered
            system.lost = feed.lost
            system.clients = inner.clients.count
            let nowText = Timestamp.now().rfc3339
            if let sample {
                system.inProcess = true
                system.lastSeq = sample.publishedSeq
                system.busRefused = sample.busRefused
                system.journalBytes = sample.journalBytes
                let applied = inner.lastSeqs[sample.gateway] ?? 0
                system.dashboardLag = sample.publishedSeq > applied ? sample.publishedSeq - applied : 0
                system.storeLag = sample.storeAppliedSeq.map { sample.publishedSeq > $0 ? sample.publishedSeq - $0 : 0 }
                system.rings = sample.sources.map { .init(name: $0.name, queued: $0.queued, capacity: $0.capacity, dropped: $0.dropped) }
                for source in sample.sources {
                    let index = readerIndex(name: source.name, gateway: sample.gateway, kind: source.kind, in: &inner)
                    let previous = inner.lastAccepted[source.name] ?? source.accepted
                    inner.lastAccepted[source.name] = source.accepted
                    let delta = source.accepted >= previous ? source.accepted - previous : 0
                    var reader = inner.state.readers[index]
                    reader.kind = source.kind
                    reader.reads = source.accepted
                    reader.drops = max(reader.drops, source.dropped)
                    reader.rate = seconds > 0 ? Double(delta) / seconds : 0
                    if delta > 0 { reader.lastSeen = nowText }
                    reader.history = Array((reader.history + [reader.rate]).suffix(Self.historyLength))
                    inner.state.readers[index] = reader
                }
            } else {
                // Outside a gateway the bus is all there is: the rate a source last reported holds.
                for index in inner.state.readers.indices {
                    let reader = inner.state.readers[index]
                    inner.state.readers[index].history = Array((reader.history + [reader.rate]).suffix(Self.historyLength))
                }
            }
            inner.state.system = system
            var patch = FeedMessage.Patch()
            patch.system = system
            patch.readers = inner.state.readers
            broadcast(patch, in: &inner)
        }
    }

    // MARK: Events

    private func apply(_ event: GatewayEvent, to inner: inout Inner, patch: inout FeedMessage.Patch) {
        inner.eventsSinceTick += 1
        inner.state.system.eventsReceived += 1
        inner.lastSeqs[event.gateway] = max(inner.lastSeqs[event.gateway] ?? 0, event.seq)
        if !inner.state.system.inProcess { inner.state.system.lastSeq = max(inner.state.system.lastSeq, event.seq) }
        if !inner.state.gateways.contains(event.gateway) {
            inner.state.gateways.append(event.gateway)
            patch.gateways = inner.state.gateways
        }
        let ts = event.ts.rfc3339
        switch event.payload {
        case .presenceEnter(let presence), .presenceExit(let presence):
            let entering = event.type == .presenceEnter
            let zone = zoneIndex(presence.zone, in: &inner)
            let step = entering ? 1 : -1
            switch presence.subject {
            case .customer: inner.state.zones[zone].customers = max(0, inner.state.zones[zone].customers + step)
            case .visitor: inner.state.zones[zone].visitors = max(0, inner.state.zones[zone].visitors + step)
            case .item, .tag: inner.state.zones[zone].items = max(0, inner.state.zones[zone].items + step)
            }
            let label = presence.subject == .item ? (presence.product ?? presence.gtin ?? "") : presence.subject == .tag ? (presence.gtin ?? "tag") : ""
            inner.state.presence.insert(.init(ts: ts, kind: entering ? "enter" : "exit", zone: presence.zone,
                                              subject: presence.subject.rawValue, label: label, reader: presence.reader), at: 0)
            if inner.state.presence.count > Self.maxPresence { inner.state.presence.removeLast(inner.state.presence.count - Self.maxPresence) }
            let reader = readerIndex(name: presence.reader, gateway: event.gateway, kind: "reads", in: &inner)
            inner.state.readers[reader].lastSeen = ts
            // A source whose status was published before the dashboard subscribed (ZeroMQ drops
            // what no one was subscribed to) is evidently connected once its reads arrive.
            if inner.state.readers[reader].state == "waiting" {
                inner.state.readers[reader].state = ReaderStatus.State.connected.rawValue
                inner.state.readers[reader].message = "reads arriving"
            }
            patch.readers = inner.state.readers
            patch.zones = inner.state.zones
            patch.presence = inner.state.presence
        case .vipArrival(let arrival):
            let alert = DashboardState.Alert(id: "\(event.gateway)/\(event.seq)", firstName: arrival.firstName, tier: arrival.tier,
                                             zone: arrival.zone, ts: ts, acknowledged: false, acknowledgedBy: nil)
            inner.alertTokens[alert.id] = arrival.token
            inner.state.alerts.insert(alert, at: 0)
            if inner.state.alerts.count > Self.maxAlerts {
                for dropped in inner.state.alerts[Self.maxAlerts...] { inner.alertTokens[dropped.id] = nil }
                inner.state.alerts.removeLast(inner.state.alerts.count - Self.maxAlerts)
            }
            patch.alerts = inner.state.alerts
            patch.newAlerts = (patch.newAlerts ?? []) + [alert]
        case .customerArrival:
            break
        case .posTransaction(let sale):
            applySale(sale, ts: ts, to: &inner)
            patch.sales = inner.state.sales
        case .basketLink(let link):
            inner.state.sales.basketLinks += 1
            inner.state.sales.matched += link.matched.count
            inner.state.sales.unmatched += link.unmatched.count
            let seen = inner.state.sales.matched + inner.state.sales.unmatched
            inner.state.sales.matchRate = seen > 0 ? Double(inner.state.sales.matched) / Double(seen) : nil
            patch.sales = inner.state.sales
        case .customerSegment:
            // The event names one customer's change, without CLV: the section is read again from the store.
            inner.segmentsChanged = true
        case .customerErased(let erased):
            // Forget everything tied to the token now: its alerts and its CLV rank; the counts follow from the store.
            let ids = Set(inner.alertTokens.filter { $0.value == erased.token }.map(\.key))
            for id in ids { inner.alertTokens[id] = nil }
            inner.state.alerts.removeAll { ids.contains($0.id) }
            inner.erasedTokens.insert(erased.token)
            inner.state.segments.topCustomers.removeAll { $0.token == erased.token }
            inner.segmentsChanged = true
            patch.alerts = inner.state.alerts
            patch.segments = inner.state.segments
        case .readerStatus(let status):
            let index = readerIndex(name: status.reader, gateway: event.gateway, kind: nil, in: &inner)
            var reader = inner.state.readers[index]
            reader.state = status.state.rawValue
            reader.message = status.message
            reader.drops = max(reader.drops, status.drops)
            reader.lastSeen = ts
            if !inner.state.system.inProcess {
                let key = "\(event.gateway)/\(status.reader)"
                let now = ContinuousClock.now
                if let previous = inner.statusReads[key], status.reads >= previous.reads {
                    let seconds = Self.seconds(now - previous.at)
                    reader.rate = seconds > 0 ? Double(status.reads - previous.reads) / seconds : 0
                }
                inner.statusReads[key] = (status.reads, now)
                reader.reads = status.reads
            }
            inner.state.readers[index] = reader
            patch.readers = inner.state.readers
        }
    }

    private func applySale(_ sale: EnrichedTransaction, ts: String, to inner: inout Inner) {
        var sales = inner.state.sales
        if let day = sales.day, sale.businessDay < day { return }  // a late sale of a closed day
        if sales.day != sale.businessDay {
            // A new business day starts the counters again; the list of recent sales carries over.
            let recent = sales.recent
            sales = DashboardState.Sales()
            sales.recent = recent
            sales.day = sale.businessDay
            inner.revenue = 0
        }
        sales.transactions += 1
        if sale.token != nil { sales.withCustomer += 1 }
        if sales.currency == nil { sales.currency = sale.currency }
        if sales.currency == sale.currency { inner.revenue += sale.total }
        sales.revenue = "\(inner.revenue)"
        sales.recent.insert(.init(ts: sale.endedAt.rfc3339, workstation: sale.workstation, number: sale.sequenceNumber,
                                  total: "\(sale.total)", currency: sale.currency, lines: sale.lines.count, customer: sale.token != nil), at: 0)
        if sales.recent.count > Self.maxSales { sales.recent.removeLast(sales.recent.count - Self.maxSales) }
        inner.state.sales = sales
    }

    private func zoneIndex(_ name: String, in inner: inout Inner) -> Int {
        if let index = inner.state.zones.firstIndex(where: { $0.name == name }) { return index }
        inner.state.zones.append(.init(name: name))
        return inner.state.zones.count - 1
    }

    private func readerIndex(name: String, gateway: String, kind: String?, in inner: inout Inner) -> Int {
        // A reader configured before its gateway id was known matches by name alone.
        if let index = inner.state.readers.firstIndex(where: { $0.name == name && ($0.gateway == gateway || $0.gateway.isEmpty) }) {
            if inner.state.readers[index].gateway.isEmpty { inner.state.readers[index].gateway = gateway }
            return index
        }
        inner.state.readers.append(.init(name: name, gateway: gateway, kind: kind ?? "", state: "waiting"))
        return inner.state.readers.count - 1
    }

    // MARK: Messages

    private func broadcast(_ patch: FeedMessage.Patch, in inner: inout Inner) {
        guard patch != FeedMessage.Patch() else { return }
        inner.seq += 1
        let text = encode(inner.encoder, FeedMessage(kind: "patch", seq: inner.seq, epoch: epoch, state: nil, patch: patch))
        inner.ring.append((inner.seq, text))
        if inner.ring.count > Self.replayCapacity { inner.ring.removeFirst(inner.ring.count - Self.replayCapacity) }
        for continuation in inner.clients.values { continuation.yield(text) }
    }

    private func encode(_ encoder: JSONEncoder, _ message: FeedMessage) -> String {
        // Every field is a plain string or number: encoding cannot fail.
        (try? String(decoding: encoder.encode(message), as: UTF8.self)) ?? "{}"
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// What the dashboard's bus subscriber reports about missed events.
public struct FeedHealth: Sendable, Equatable {
    /// Places where a gateway's seq jumped ahead.
    public var gaps: UInt64
    /// Events fetched from replay to fill them.
    public var recovered: UInt64
    /// Events never received.
    public var lost: UInt64

    /// Creates the numbers.
    public init(gaps: UInt64 = 0, recovered: UInt64 = 0, lost: UInt64 = 0) {
        self.gaps = gaps
        self.recovered = recovered
        self.lost = lost
    }

    /// The numbers of a subscriber: a recovering one loses only what replay could not give; a plain
    /// one loses every event of every gap.
    public init(_ statistics: SubscriberStatistics, recovers: Bool) {
        self.init(gaps: statistics.gaps, recovered: statistics.replayed, lost: recovers ? statistics.unrecoverable : statistics.missing)
    }
}
