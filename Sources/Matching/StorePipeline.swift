import EPC
import GatewayCore
import Logging
import Synchronization

/// The pipeline's stages for one store: filter → decode EPC → smooth presence → match → rules.
///
/// Runs on the pipeline thread only. Per read it does a few hash lookups and integer decoding and
/// allocates nothing; events, which are rare next to reads, are built only on enter and exit.
public final class StorePipeline: PipelineProcessor, @unchecked Sendable {
    /// What a present tag turned out to be.
    enum Subject {
        case customer(Int32)
        case visitor
        case item(Int32, gtin: UInt64)
        case tag(gtin: UInt64?)
        /// An item already linked to a sale.
        case sold(gtin: UInt64?)

        /// The GTIN of a catalogue or own-prefix item.
        var gtin: UInt64? {
            switch self {
            case .item(_, let gtin): gtin
            case .tag(let gtin), .sold(let gtin): gtin
            case .customer, .visitor: nil
            }
        }
    }

    struct Visit {
        var id: String
        var zones: Int
        /// Whether the visit has been through an entrance: the VIP alert belongs to the first pass.
        var passedEntrance: Bool
    }

    private let configuration: MatchingConfig
    private let sink: any EventSink
    private let logger: Logger
    private let zoneNames: [String]
    private let entranceZones: Set<UInt16>
    private let checkoutZones: Set<UInt16>
    private let checkoutOfWorkstation: [String: UInt16]
    private let soleCheckout: UInt16?
    // By source index ("?" for an index no source has): read on every event, so an array, not a dictionary.
    private let sourceNames: [String]
    private let zoneOfAntenna: [UInt32: UInt16]
    private let defaultZoneOfSource: [UInt16: UInt16]
    private let edgeFilter: EdgeFilter
    private let counters: [UInt16: any SourceCounters]
    // Boxed: a method called on a struct held in a class's `var` copies the struct first (a retain and
    // a release per table, on every read); on a `let` in a final class it does not.
    private var directory: DirectoryBox
    private let pendingDirectory = Mutex<Directory?>(nil)
    private let pendingAnnouncements = Mutex<[(EventPayload, Timestamp)]>([])
    private var presence: PresenceTracker<Subject>
    private var visits: [Int32: Visit] = [:]
    private var baskets: CheckoutBaskets
    private var sold: SoldItems
    private var lastVipAlert: [String: Timestamp] = [:]
    private var visitCounter: UInt64 = 0
    private var reportedDrops: [UInt16: UInt64] = [:]
    private var nextStatusCheck = Timestamp(microseconds: 0)
    /// Set when a tick left exits due: the runner ticks again after its next round.
    private var expiryBacklog = false
    /// Exits per tick: a burst of them (a crowd leaving, a reader going quiet) is spread over rounds,
    /// so reads queued behind it wait for a few dozen events, not a thousand.
    static let exitsPerTick = 32
    private var local = Counts()

    /// Live counters, readable from any thread; refreshed every tick.
    public let statistics = PipelineStatistics()

    struct Counts {
        var reads: UInt64 = 0
        var foreign: UInt64 = 0
        var unplaced: UInt64 = 0
        var events: UInt64 = 0
        var transactions: UInt64 = 0
        var basketLinks: UInt64 = 0
        var unlinkedSales: UInt64 = 0
        var soldSightings: UInt64 = 0
    }

    /// Creates the store's pipeline.
    /// - Parameters:
    ///   - layout: zones, and the edge filter (`store.filter`, `store.companyPrefixes`). Patterns that do not
    ///     compile (``EdgeFilter/init(layout:)`` reports which) are logged and every tag is dropped: a store
    ///     whose filter is wrong must not publish tags it was told to keep out.
    ///   - sources: every source, to name readers and place antennas in zones.
    ///   - counters: ring counters per source index, for drop reports.
    public init(configuration: MatchingConfig, layout: StoreLayoutConfig, sources: [SourceDescriptor],
                counters: [UInt16: any SourceCounters] = [:], directory: Directory, sink: any EventSink, logger: Logger) {
        self.configuration = configuration
        self.sink = sink
        self.logger = logger
        self.directory = DirectoryBox(directory)
        self.counters = counters
        zoneNames = layout.zones.map(\.name)
        var zoneIndex: [String: UInt16] = [:]
        for (index, zone) in layout.zones.enumerated() { zoneIndex[zone.name] = UInt16(index) }
        entranceZones = Set(layout.zones.enumerated().filter { $0.element.role == .entrance }.map { UInt16($0.offset) })
        checkoutZones = Set(layout.zones.enumerated().filter { $0.element.role == .checkout }.map { UInt16($0.offset) })
        var tills: [String: UInt16] = [:]
        for zone in layout.zones { for workstation in zone.workstations { tills[workstation] = zoneIndex[zone.name] } }
        checkoutOfWorkstation = tills
        soleCheckout = checkoutZones.count == 1 ? checkoutZones.first : nil
        var names: [UInt16: String] = [:]
        var antennaZones: [UInt32: UInt16] = [:]
        var defaults: [UInt16: UInt16] = [:]
        for source in sources {
            names[source.index] = source.name
            for (antenna, zone) in source.antennaZones {
                if let z = zoneIndex[zone] { antennaZones[UInt32(source.index) << 16 | UInt32(antenna)] = z }
            }
            if let zone = source.defaultZone, let z = zoneIndex[zone] { defaults[source.index] = z }
        }
        sourceNames = (0..<(Int(names.keys.max() ?? 0) + 1)).map { names[UInt16($0)] ?? "?" }
        zoneOfAntenna = antennaZones
        defaultZoneOfSource = defaults
        do {
            edgeFilter = try EdgeFilter(layout: layout)
        } catch {
            logger.critical("\(error); dropping every tag until the config is fixed")
            edgeFilter = .rejectAll
        }
        presence = PresenceTracker(absence: configuration.absence, capacity: configuration.presenceCapacity)
        baskets = CheckoutBaskets(keep: configuration.basketLookback + configuration.basketSlack * 2)
        sold = SoldItems(retention: configuration.soldRetention)
    }

    /// Replaces the directory (customers, products). Safe from any thread; takes effect at the next tick.
    public func replace(directory: Directory) {
        pendingDirectory.withLock { $0 = directory }
    }

    /// Queues an event from outside the read path (a segmentation run's `customer.segment`, an erasure's
    /// `customer.erased`) to be published in seq order with everything else. Safe from any thread; it is
    /// emitted at the next tick, after any directory ``replace(directory:)`` was given before it.
    public func announce(_ payload: EventPayload, at time: Timestamp = .now()) {
        pendingAnnouncements.withLock { $0.append((payload, time)) }
    }

    // MARK: Reads

    /// Filter, decode, smooth, match and apply the rules to one read.
    @inline(__always)
    public func process(read: TagRead) {
        local.reads &+= 1
        guard let zone = zone(of: read) else {
            local.unplaced &+= 1
            return
        }
        let key = PresenceTracker<Subject>.Key(tag: read.tag, zone: zone)
        var subject: Subject?
        let entered = presence.observe(key, at: read.timestamp, source: read.source, antenna: read.antenna) {
            subject = classify(read)
            return subject ?? .visitor
        }
        guard entered else { return }
        guard let subject else {
            // Foreign: counted in aggregate, never tracked, stored or published.
            presence.forget(key)
            local.foreign &+= 1
            return
        }
        enter(key: key, subject: subject, read: read)
    }

    @inline(__always)
    private func zone(of read: TagRead) -> UInt16? {
        zoneOfAntenna[UInt32(read.source) << 16 | UInt32(read.antenna)] ?? defaultZoneOfSource[read.source]
    }

    /// Who or what a tag is; `nil` for a foreign tag.
    private func classify(_ read: TagRead) -> Subject? {
        if let customer = directory.value.customer(credential: read.tag) {
            return directory.value.recognitionConsent(of: customer) ? .customer(customer) : .visitor
        }
        // An unregistered card is a person all the same: counted, never identified.
        if read.kind == .card { return .visitor }
        guard edgeFilter.accepts(read.tag) else { return nil }
        if sold.contains(read.tag) { return .sold(gtin: Self.gtin(of: read.tag)) }
        guard let gtin = Self.gtin(of: read.tag) else { return .tag(gtin: nil) }
        if let product = directory.value.product(gtin: gtin) { return .item(product, gtin: gtin) }
        return .tag(gtin: gtin)
    }

    /// The GTIN of an SGTIN tag. SGTIN-96, nearly every retail tag, is decoded in registers; an
    /// SGTIN-198 (rare) goes through the general decoder. Bits after the scheme's end are padding.
    @inline(__always)
    static func gtin(of tag: TagID) -> UInt64? {
        let word = tag.leadingWord
        switch UInt8(truncatingIfNeeded: word >> 56) {
        case SGTIN96.header:
            guard tag.bitCount >= 96 else { return nil }
            return SGTIN96(high: word, low: UInt32(truncatingIfNeeded: tag.bits(at: 64, count: 32)))?.gtinValue
        case EPCBinaryScheme.sgtin198.header:
            guard case .tag(let epc)? = try? EPC.decode(TagBits(tag: tag)) else { return nil }
            return epc.identity.gtin14.flatMap { UInt64($0) }
        default:
            return nil
        }
    }

    private func enter(key: PresenceTracker<Subject>.Key, subject: Subject, read: TagRead) {
        if case .sold = subject, configuration.soldItems == .drop {
            local.soldSightings &+= 1
            return
        }
        if case .item(_, let gtin) = subject, checkoutZones.contains(key.zone) {
            baskets.entered(key.tag, gtin: gtin, zone: key.zone, at: read.timestamp)
        } else if case .tag(let gtin?) = subject, checkoutZones.contains(key.zone) {
            baskets.entered(key.tag, gtin: gtin, zone: key.zone, at: read.timestamp)
        }
        var event = presenceEvent(key: key, subject: subject, source: read.source, antenna: read.antenna)
        event.rssi = read.rssi == .min ? nil : Double(read.rssi) / 100
        guard case .customer(let index) = subject else {
            emit(.presenceEnter(event), at: read.timestamp)
            return
        }
        var visit = visits[index] ?? startVisit()
        let isNew = visit.zones == 0
        visit.zones += 1
        event.visit = visit.id
        emit(.presenceEnter(event), at: read.timestamp)
        let zoneName = zoneNames[Int(key.zone)]
        let reader = readerName(read.source)
        let tier = directory.value.tier(of: index)
        let arrival = Arrival(token: directory.token(of: index), visit: visit.id, zone: zoneName, reader: reader,
                              firstName: directory.firstName(of: index), tier: tier)
        if isNew { emit(.customerArrival(arrival), at: read.timestamp) }
        // Only the first pass through an entrance is an arrival: one promoted while in the store is
        // not greeted as they walk out.
        if entranceZones.contains(key.zone), !visit.passedEntrance {
            visit.passedEntrance = true
            let id = directory.id(of: index)
            let suppressed = lastVipAlert[id].map {
                read.timestamp.milliseconds(since: $0) < configuration.vipSuppression.milliseconds
            } ?? false
            // Once per visit, and not again within the window even across visits.
            if tier == configuration.vipTier, !suppressed {
                lastVipAlert[id] = read.timestamp
                emit(.vipArrival(arrival), at: read.timestamp)
            }
        }
        visits[index] = visit
    }

    private func startVisit() -> Visit {
        visitCounter &+= 1
        let now = Timestamp.now().microseconds
        return Visit(id: "v\(String(now, radix: 36))\(String(visitCounter, radix: 36))", zones: 0, passedEntrance: false)
    }

    private func exit(_ gone: PresenceTracker<Subject>.Exit) {
        switch gone.entry.subject {
        case .sold where configuration.soldItems == .drop:
            return
        case .item, .tag:
            if checkoutZones.contains(gone.key.zone) { baskets.left(gone.key.tag, zone: gone.key.zone, lastSeen: gone.entry.lastSeen) }
        default:
            break
        }
        var event = presenceEvent(key: gone.key, subject: gone.entry.subject, source: gone.entry.source, antenna: gone.entry.antenna)
        event.dwellMs = gone.entry.lastSeen.milliseconds(since: gone.entry.firstSeen)
        if case .customer(let index) = gone.entry.subject, var visit = visits[index] {
            visit.zones -= 1
            event.visit = visit.id
            if visit.zones <= 0 {
                event.visitEnd = true
                visits.removeValue(forKey: index)
            } else {
                visits[index] = visit
            }
        }
        emit(.presenceExit(event), at: gone.entry.lastSeen)
    }

    private func presenceEvent(key: PresenceTracker<Subject>.Key, subject: Subject, source: UInt16, antenna: UInt16) -> Presence {
        var event = Presence(zone: zoneNames[Int(key.zone)], reader: readerName(source), antenna: Int(antenna), subject: .tag)
        switch subject {
        case .customer(let index):
            event.subject = .customer
            event.token = directory.token(of: index)
        case .visitor:
            event.subject = .visitor
        case .item(let product, let gtin):
            event.subject = .item
            event.epc = Self.epcURI(key.tag)
            event.gtin = Self.gtinText(gtin)
            event.product = directory.name(ofProduct: product)
        case .tag(let gtin):
            event.epc = Self.epcURI(key.tag)
            event.gtin = gtin.map(Self.gtinText)
        case .sold(let gtin):
            // Anonymous like every item: nothing on it points to the sale or the buyer.
            // Closures, not `directory.value.product(gtin:)`: a method reference copies the directory.
            let product = gtin.flatMap { directory.value.product(gtin: $0) }
            event.subject = product == nil ? .tag : .item
            event.epc = Self.epcURI(key.tag)
            event.gtin = gtin.map(Self.gtinText)
            event.product = product.map { directory.name(ofProduct: $0) }
            event.sold = true
        }
        return event
    }

    /// The pure-identity URI of a TDS EPC of any scheme; hex for raw tags and EPCs that do not decode.
    static func epcURI(_ tag: TagID) -> String {
        if tag.bitCount >= 96, let sgtin = SGTIN96(high: tag.leadingWord, low: UInt32(truncatingIfNeeded: tag.bits(at: 64, count: 32))) {
            return sgtin.pureIdentityURI
        }
        if case .tag(let epc)? = try? EPC.decode(TagBits(tag: tag)) { return epc.identity.pureIdentityURI }
        return tag.hex
    }

    private func readerName(_ source: UInt16) -> String {
        Int(source) < sourceNames.count ? sourceNames[Int(source)] : "?"
    }

    static func gtinText(_ gtin: UInt64) -> String { GS1.padded(gtin, 14) }

    // MARK: Transactions, status, time

    /// Enriches a sale with catalogue names and the customer's token, and publishes it.
    public func process(transaction: PosTransaction, from source: UInt16) {
        local.transactions &+= 1
        // Closures and the box's methods, not method references on `directory.value`, which copy the directory.
        let token = transaction.loyaltyID.flatMap { directory.value.customerIndex(loyaltyID: $0) }.map { directory.token(of: $0) }
        let lines = transaction.lines.map { line -> EnrichedTransaction.Line in
            let product = line.gtin.flatMap(UInt64.init).flatMap { directory.value.product(gtin: $0) }
            return EnrichedTransaction.Line(number: line.number, kind: line.kind, gtin: line.gtin, itemId: line.itemID,
                                            description: line.description, product: product.map { directory.name(ofProduct: $0) },
                                            category: product.flatMap { directory.value.category(ofProduct: $0) },
                                            quantity: line.quantity, unitPrice: line.unitPrice, amount: line.amount, discount: line.discount)
        }
        let enriched = EnrichedTransaction(
            source: readerName(source), key: transaction.key, posStore: transaction.storeID,
            workstation: transaction.workstationID, sequenceNumber: transaction.sequenceNumber, businessDay: transaction.businessDay,
            endedAt: transaction.endedAt, operatorId: transaction.operatorID, currency: transaction.currency, lines: lines,
            tenders: transaction.tenders, total: transaction.total, tax: transaction.tax, token: token,
            startedAt: transaction.startedAt, lowConfidence: transaction.confidence == .low ? true : nil,
            flags: transaction.flags.isEmpty ? nil : transaction.flags)
        emit(.posTransaction(enriched), at: transaction.endedAt)
        linkBasket(of: transaction)
        if let ack = transaction.ack { sink.settle(ack) }
    }

    /// Links the tagged items seen at the sale's checkout to its lines and marks the matched ones sold.
    private func linkBasket(of transaction: PosTransaction) {
        guard let zone = checkoutOfWorkstation[transaction.workstationID] ?? soleCheckout else {
            local.unlinkedSales &+= 1
            return
        }
        let slack = configuration.basketSlack.milliseconds
        let start = transaction.startedAt ?? transaction.endedAt.adding(milliseconds: -configuration.basketLookback.milliseconds)
        let link = baskets.link(lines: transaction.lines, zone: zone, from: start.adding(milliseconds: -slack),
                                to: transaction.endedAt.adding(milliseconds: slack))
        for (tag, _) in link.matched {
            sold.insert(tag, at: transaction.endedAt)
            // Still in a zone: from now on it is a sold item there too.
            for zone in 0..<UInt16(zoneNames.count) {
                presence.updateSubject(.init(tag: tag, zone: zone)) { .sold(gtin: $0.gtin) }
            }
        }
        local.basketLinks &+= 1
        emit(.basketLink(BasketLink(transaction: transaction.key, zone: zoneNames[Int(zone)],
                                    matched: link.matched.map { Self.gtinText($0.gtin) },
                                    unmatched: link.unmatched.map { Self.gtinText($0.gtin) },
                                    unmatchedEPCs: link.unmatched.map { Self.epcURI($0.tag) },
                                    untaggedLines: link.untaggedLines)),
             at: transaction.endedAt)
    }

    /// Publishes a driver's status change with the source's counters.
    public func process(status: SourceStatus) {
        emitStatus(source: status.source, state: status.state, message: status.message, at: .now())
    }

    private func emitStatus(source: UInt16, state: ReaderStatus.State, message: String?, at time: Timestamp) {
        let counter = counters[source]
        emit(.readerStatus(ReaderStatus(reader: readerName(source), state: state, message: message,
                                        reads: counter?.accepted ?? 0, drops: counter?.dropped ?? 0)), at: time)
    }

    /// Expires presence, reports new drops, swaps in a reloaded directory and refreshes the statistics.
    public func tick(now: Timestamp) {
        // Announcements are taken before the directory: a directory replaced before an announcement
        // (an erasure reloads it, then announces the tombstone) is then always swapped in before it is emitted.
        let announcements = pendingAnnouncements.withLock { queued in
            defer { queued.removeAll() }
            return queued
        }
        if let replacement = pendingDirectory.withLock({ pending -> Directory? in
            defer { pending = nil }
            return pending
        }) {
            swap(to: replacement)
        }
        for (payload, time) in announcements {
            emit(payload, at: time)
        }
        expiryBacklog = presence.expire(now: now, limit: Self.exitsPerTick) { exit($0) }
        if now >= nextStatusCheck {
            nextStatusCheck = now.adding(milliseconds: configuration.statusInterval.milliseconds)
            baskets.prune(now: now)
            sold.prune(now: now)
            for (source, counter) in counters {
                let dropped = counter.dropped
                if dropped > reportedDrops[source, default: 0] {
                    let newDrops = dropped - reportedDrops[source, default: 0]
                    reportedDrops[source] = dropped
                    emitStatus(source: source, state: .dropping,
                               message: "\(newDrops) reads dropped: the ring (\(counter.capacity) slots) was full", at: now)
                }
            }
        }
        statistics.publish(local, present: presence.count, visits: visits.count)
    }

    /// Re-resolves every present tag against the new directory, keeping visits by customer id.
    private func swap(to replacement: Directory) {
        let old = directory.value
        // By customer id: positions change between loads. Only the customers present now are looked up.
        func moved(_ index: Int32) -> Int32? {
            guard let moved = replacement.customerIndex(id: old.id(of: index)), replacement.recognitionConsent(of: moved) else { return nil }
            return moved
        }
        var remappedVisits: [Int32: Visit] = [:]
        for (index, visit) in visits {
            // An erased customer's visit, or one whose recognition consent was withdrawn, ends here unrecorded:
            // nothing more is published under their token, and a later visit with consent starts afresh.
            if let moved = moved(index) { remappedVisits[moved] = visit }
        }
        visits = remappedVisits
        directory = DirectoryBox(replacement)
        presence.remapSubjects { key, subject in
            switch subject {
            case .customer(let index):
                return moved(index).map { .customer($0) } ?? .visitor
            case .item(_, let gtin):
                return replacement.product(gtin: gtin).map { .item($0, gtin: gtin) } ?? .tag(gtin: gtin)
            case .tag(let gtin):
                return gtin.flatMap { g in replacement.product(gtin: g).map { .item($0, gtin: g) } } ?? subject
            case .visitor, .sold:
                return subject
            }
        }
        logger.info("directory reloaded", metadata: ["customers": "\(replacement.customerCount)", "products": "\(replacement.productCount)"])
    }

    /// Whether exits are still due after the last tick's share.
    public var hasDueWork: Bool { expiryBacklog }

    /// Flushes the sink after a busy round.
    public func flush() { sink.flush() }

    /// Flushes the sink at shutdown.
    public func finish() {
        statistics.publish(local, present: presence.count, visits: visits.count)
        sink.flush()
    }

    @inline(__always)
    private func emit(_ payload: EventPayload, at time: Timestamp) {
        local.events &+= 1
        sink.emit(payload, at: time)
    }
}

/// Counters of the pipeline, refreshed every tick and readable from any thread.
public final class PipelineStatistics: Sendable {
    private let reads = Atomic<UInt64>(0)
    private let foreign = Atomic<UInt64>(0)
    private let unplaced = Atomic<UInt64>(0)
    private let events = Atomic<UInt64>(0)
    private let transactions = Atomic<UInt64>(0)
    private let basketLinks = Atomic<UInt64>(0)
    private let unlinkedSales = Atomic<UInt64>(0)
    private let soldSightings = Atomic<UInt64>(0)
    private let present = Atomic<Int>(0)
    private let visits = Atomic<Int>(0)

    /// A consistent-enough copy of the counters.
    public struct Snapshot: Sendable {
        /// Reads processed.
        public var reads: UInt64
        /// Foreign tags dropped by the edge filter.
        public var foreign: UInt64
        /// Reads from antennas no zone covers.
        public var unplaced: UInt64
        /// Events emitted.
        public var events: UInt64
        /// POS transactions processed.
        public var transactions: UInt64
        /// Sales linked to the items at their checkout.
        public var basketLinks: UInt64
        /// Sales whose till maps to no checkout zone.
        public var unlinkedSales: UInt64
        /// Sightings of sold items withheld (`matching.soldItems: drop`).
        public var soldSightings: UInt64
        /// (tag, zone) pairs present now.
        public var present: Int
        /// Customer visits open now.
        public var visits: Int
    }

    init() {}

    func publish(_ counts: StorePipeline.Counts, present: Int, visits: Int) {
        reads.store(counts.reads, ordering: .relaxed)
        foreign.store(counts.foreign, ordering: .relaxed)
        unplaced.store(counts.unplaced, ordering: .relaxed)
        events.store(counts.events, ordering: .relaxed)
        transactions.store(counts.transactions, ordering: .relaxed)
        basketLinks.store(counts.basketLinks, ordering: .relaxed)
        unlinkedSales.store(counts.unlinkedSales, ordering: .relaxed)
        soldSightings.store(counts.soldSightings, ordering: .relaxed)
        self.present.store(present, ordering: .relaxed)
        self.visits.store(visits, ordering: .relaxed)
    }

    /// The current values.
    public var snapshot: Snapshot {
        Snapshot(reads: reads.load(ordering: .relaxed), foreign: foreign.load(ordering: .relaxed), unplaced: unplaced.load(ordering: .relaxed),
                 events: events.load(ordering: .relaxed), transactions: transactions.load(ordering: .relaxed),
                 basketLinks: basketLinks.load(ordering: .relaxed), unlinkedSales: unlinkedSales.load(ordering: .relaxed),
                 soldSightings: soldSightings.load(ordering: .relaxed),
                 present: present.load(ordering: .relaxed), visits: visits.load(ordering: .relaxed))
    }
}

/// One directory, shared by reference.
private final class DirectoryBox: Sendable {
    let value: Directory
    init(_ value: Directory) { self.value = value }

    // The text an event carries. Inlined into the pipeline, a read of `value` across the call that
    // builds the `String` copied the whole directory first (a retain and a release per table, on every
    // event); in a method of the box, `value` is borrowed from `self`.
    @inline(never) func name(ofProduct index: Int32) -> String { value.name(ofProduct: index) }
    @inline(never) func token(of index: Int32) -> String { value.token(of: index) }
    @inline(never) func firstName(of index: Int32) -> String { value.firstName(of: index) }
    @inline(never) func id(of index: Int32) -> String { value.id(of: index) }
}
