import Foundation

/// An enriched event as it travels on the bus (contract v1; see `docs/events.md`).
///
/// On the wire it is one JSON object: the common fields `v`, `seq`, `gateway`, `store`, `type`,
/// `ts`, followed by the payload's own fields at the same level.
public struct GatewayEvent: Sendable, Equatable, Codable {
    /// The schema version this code reads and writes.
    public static let schemaVersion = 1

    /// Gap-free sequence number per gateway, starting at 1.
    public var seq: UInt64
    /// The gateway that produced the event.
    public var gateway: String
    /// The store the gateway serves.
    public var store: String
    /// When the event happened.
    public var ts: Timestamp
    /// What happened.
    public var payload: EventPayload

    /// Creates an event.
    public init(seq: UInt64, gateway: String, store: String, ts: Timestamp, payload: EventPayload) {
        self.seq = seq
        self.gateway = gateway
        self.store = store
        self.ts = ts
        self.payload = payload
    }

    /// The event type, which is also the ZeroMQ topic.
    public var type: EventType { payload.type }

    private enum CodingKeys: String, CodingKey { case v, seq, gateway, store, type, ts }

    /// Decodes the common fields, then the payload that `type` names.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .v)
        guard version == Self.schemaVersion else {
            throw DecodingError.dataCorruptedError(forKey: .v, in: container, debugDescription: "schema version \(version) is not \(Self.schemaVersion)")
        }
        seq = try container.decode(UInt64.self, forKey: .seq)
        gateway = try container.decode(String.self, forKey: .gateway)
        store = try container.decode(String.self, forKey: .store)
        ts = try container.decode(Timestamp.self, forKey: .ts)
        let typeName = try container.decode(String.self, forKey: .type)
        guard let type = EventType(rawValue: typeName) else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown event type \(typeName)")
        }
        payload = try EventPayload(type: type, from: decoder)
    }

    /// Encodes the common fields and the payload's fields into one flat object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.schemaVersion, forKey: .v)
        try container.encode(seq, forKey: .seq)
        try container.encode(gateway, forKey: .gateway)
        try container.encode(store, forKey: .store)
        try container.encode(type.rawValue, forKey: .type)
        try container.encode(ts, forKey: .ts)
        try payload.encodeFields(to: encoder)
    }
}

/// The event types of the bus contract; each is also the topic its messages carry.
public enum EventType: String, Sendable, CaseIterable, Codable {
    /// A tag entered a zone.
    case presenceEnter = "presence.enter"
    /// A tag left a zone (absent longer than the configured absence).
    case presenceExit = "presence.exit"
    /// A consenting customer was recognised entering the store.
    case customerArrival = "customer.arrival"
    /// The same, for a VIP-tier customer: the staff alert.
    case vipArrival = "vip.arrival"
    /// A completed sale, enriched with product names and the customer token.
    case posTransaction = "pos.transaction"
    /// RFID items seen at a checkout linked to a transaction's lines.
    case basketLink = "basket.link"
    /// A customer's segment or tier changed.
    case customerSegment = "customer.segment"
    /// Tombstone: every subscriber forgets this token.
    case customerErased = "customer.erased"
    /// A source connected, disconnected, failed, or dropped reads.
    case readerStatus = "reader.status"

    /// The topic frame for this type.
    public var topic: String { rawValue }
}

/// What an event says, by type.
public enum EventPayload: Sendable, Equatable {
    /// `presence.enter`
    case presenceEnter(Presence)
    /// `presence.exit`
    case presenceExit(Presence)
    /// `customer.arrival`
    case customerArrival(Arrival)
    /// `vip.arrival`
    case vipArrival(Arrival)
    /// `pos.transaction`
    case posTransaction(EnrichedTransaction)
    /// `basket.link`
    case basketLink(BasketLink)
    /// `customer.segment`
    case customerSegment(CustomerSegment)
    /// `customer.erased`
    case customerErased(CustomerErased)
    /// `reader.status`
    case readerStatus(ReaderStatus)

    /// The event type.
    public var type: EventType {
        switch self {
        case .presenceEnter: .presenceEnter
        case .presenceExit: .presenceExit
        case .customerArrival: .customerArrival
        case .vipArrival: .vipArrival
        case .posTransaction: .posTransaction
        case .basketLink: .basketLink
        case .customerSegment: .customerSegment
        case .customerErased: .customerErased
        case .readerStatus: .readerStatus
        }
    }

    init(type: EventType, from decoder: any Decoder) throws {
        switch type {
        case .presenceEnter: self = .presenceEnter(try Presence(from: decoder))
        case .presenceExit: self = .presenceExit(try Presence(from: decoder))
        case .customerArrival: self = .customerArrival(try Arrival(from: decoder))
        case .vipArrival: self = .vipArrival(try Arrival(from: decoder))
        case .posTransaction: self = .posTransaction(try EnrichedTransaction(from: decoder))
        case .basketLink: self = .basketLink(try BasketLink(from: decoder))
        case .customerSegment: self = .customerSegment(try CustomerSegment(from: decoder))
        case .customerErased: self = .customerErased(try CustomerErased(from: decoder))
        case .readerStatus: self = .readerStatus(try ReaderStatus(from: decoder))
        }
    }

    func encodeFields(to encoder: any Encoder) throws {
        switch self {
        case .presenceEnter(let p), .presenceExit(let p): try p.encode(to: encoder)
        case .customerArrival(let a), .vipArrival(let a): try a.encode(to: encoder)
        case .posTransaction(let t): try t.encode(to: encoder)
        case .basketLink(let b): try b.encode(to: encoder)
        case .customerSegment(let s): try s.encode(to: encoder)
        case .customerErased(let e): try e.encode(to: encoder)
        case .readerStatus(let r): try r.encode(to: encoder)
        }
    }
}

/// What a presence event is about. A person is only ever a `customer` (with consent) or a `visitor`.
public enum PresenceSubject: String, Sendable, Codable {
    /// A consenting customer, named by token.
    case customer
    /// A person whose credential was read but who has not consented to recognition: counted, never identified.
    case visitor
    /// A catalogued product item.
    case item
    /// A tag of the store's own company prefixes that the catalogue does not know.
    case tag
}

/// Payload of `presence.enter` and `presence.exit`.
public struct Presence: Sendable, Equatable, Codable {
    /// The zone entered or left.
    public var zone: String
    /// The source (reader) that saw the tag.
    public var reader: String
    /// The antenna port.
    public var antenna: Int
    /// What the tag belongs to.
    public var subject: PresenceSubject
    /// The customer's pseudonymous token (`customer` only).
    public var token: String?
    /// The visit this sighting belongs to (`customer` only).
    public var visit: String?
    /// The item's pure-identity EPC URI, or hex for non-GS1 tags (`item` and `tag` only).
    public var epc: String?
    /// The item's GTIN-14 (`item` and GS1 `tag`).
    public var gtin: String?
    /// The product name from the catalogue (`item` only).
    public var product: String?
    /// Peak RSSI in dBm of the read that caused the event, when the reader reports it.
    public var rssi: Double?
    /// Time spent in the zone (`presence.exit` only).
    public var dwellMs: Int64?
    /// True when this exit ends the customer's visit (`presence.exit`, `customer` only).
    public var visitEnd: Bool?
    /// True for an item already linked to a sale (`item` and `tag` only; absent otherwise).
    public var sold: Bool?

    /// Creates a presence payload.
    public init(zone: String, reader: String, antenna: Int, subject: PresenceSubject, token: String? = nil, visit: String? = nil,
                epc: String? = nil, gtin: String? = nil, product: String? = nil, rssi: Double? = nil, dwellMs: Int64? = nil,
                visitEnd: Bool? = nil) {
        self.zone = zone
        self.reader = reader
        self.antenna = antenna
        self.subject = subject
        self.token = token
        self.visit = visit
        self.epc = epc
        self.gtin = gtin
        self.product = product
        self.rssi = rssi
        self.dwellMs = dwellMs
        self.visitEnd = visitEnd
    }
}

/// Payload of `customer.arrival` and `vip.arrival`: only what staff may see.
public struct Arrival: Sendable, Equatable, Codable {
    /// The customer's pseudonymous token.
    public var token: String
    /// The visit that began.
    public var visit: String
    /// The zone where the customer was recognised.
    public var zone: String
    /// The reader that recognised them.
    public var reader: String
    /// First name, for a personal greeting.
    public var firstName: String
    /// Tier (`vip`, `regular`, …).
    public var tier: String

    /// Creates an arrival payload.
    public init(token: String, visit: String, zone: String, reader: String, firstName: String, tier: String) {
        self.token = token
        self.visit = visit
        self.zone = zone
        self.reader = reader
        self.firstName = firstName
        self.tier = tier
    }
}

/// Payload of `pos.transaction`: the sale with catalogue names and the customer token.
public struct EnrichedTransaction: Sendable, Equatable, Codable {
    /// A receipt line with its catalogue product.
    public struct Line: Sendable, Equatable, Codable {
        /// Position on the receipt.
        public var number: Int
        /// `sale`, `return` or `voided`.
        public var kind: PosTransaction.Line.Kind
        /// GTIN-14, when scanned.
        public var gtin: String?
        /// The POS's item id.
        public var itemId: String?
        /// The receipt description.
        public var description: String?
        /// The catalogue product name, when the GTIN is known.
        public var product: String?
        /// The catalogue category, when the GTIN is known.
        public var category: String?
        /// Quantity (fractional for weighed goods).
        public var quantity: Decimal
        /// Unit price.
        public var unitPrice: Decimal
        /// Line amount.
        public var amount: Decimal
        /// Discount.
        public var discount: Decimal

        /// Creates a line.
        public init(number: Int, kind: PosTransaction.Line.Kind, gtin: String?, itemId: String?, description: String?, product: String?,
                    category: String?, quantity: Decimal, unitPrice: Decimal, amount: Decimal, discount: Decimal) {
            self.number = number
            self.kind = kind
            self.gtin = gtin
            self.itemId = itemId
            self.description = description
            self.product = product
            self.category = category
            self.quantity = quantity
            self.unitPrice = unitPrice
            self.amount = amount
            self.discount = discount
        }
    }

    /// The source (POS feed) that delivered it.
    public var source: String
    /// The idempotency key: store/workstation/businessDay/sequenceNumber.
    public var key: String
    /// The POS's store id.
    public var posStore: String
    /// The till.
    public var workstation: String
    /// The POS sequence number.
    public var sequenceNumber: String
    /// The business day.
    public var businessDay: String
    /// When the sale ended.
    public var endedAt: Timestamp
    /// The cashier.
    public var operatorId: String?
    /// Currency code.
    public var currency: String
    /// Receipt lines.
    public var lines: [Line]
    /// Payments.
    public var tenders: [PosTransaction.Tender]
    /// Grand total.
    public var total: Decimal
    /// Tax.
    public var tax: Decimal
    /// The customer's token when a known loyalty id was presented.
    public var token: String?
    /// When the sale began, when the POS reports it.
    public var startedAt: Timestamp?
    /// `true` when reconstructed from a printed receipt (the ESC/POS tap); absent otherwise.
    public var lowConfidence: Bool?
    /// Problems the parser found that did not stop the sale (`totals-mismatch`, …); absent when none.
    public var flags: [String]?

    /// Creates an enriched transaction.
    public init(source: String, key: String, posStore: String, workstation: String, sequenceNumber: String, businessDay: String,
                endedAt: Timestamp, operatorId: String?, currency: String, lines: [Line], tenders: [PosTransaction.Tender],
                total: Decimal, tax: Decimal, token: String?, startedAt: Timestamp? = nil, lowConfidence: Bool? = nil,
                flags: [String]? = nil) {
        self.source = source
        self.key = key
        self.posStore = posStore
        self.workstation = workstation
        self.sequenceNumber = sequenceNumber
        self.businessDay = businessDay
        self.endedAt = endedAt
        self.operatorId = operatorId
        self.currency = currency
        self.lines = lines
        self.tenders = tenders
        self.total = total
        self.tax = tax
        self.token = token
        self.startedAt = startedAt
        self.lowConfidence = lowConfidence
        self.flags = flags
    }
}

/// Payload of `basket.link`: RFID items at a checkout matched to a sale's lines.
public struct BasketLink: Sendable, Equatable, Codable {
    /// The transaction's idempotency key.
    public var transaction: String
    /// The checkout zone.
    public var zone: String
    /// GTINs of the tagged items seen and matched to sale lines, one entry per item.
    public var matched: [String]
    /// GTINs of tagged items seen at the checkout but not paid for, one entry per item: a shrink signal.
    public var unmatched: [String]
    /// Pure-identity EPC URIs of the unmatched items, in the order of `unmatched`.
    public var unmatchedEPCs: [String]?
    /// Numbers of the sale lines no tagged item accounted for (untagged goods, or tags not read).
    public var untaggedLines: [Int]?

    /// Creates a basket link.
    public init(transaction: String, zone: String, matched: [String], unmatched: [String], unmatchedEPCs: [String]? = nil,
                untaggedLines: [Int]? = nil) {
        self.transaction = transaction
        self.zone = zone
        self.matched = matched
        self.unmatched = unmatched
        self.unmatchedEPCs = unmatchedEPCs
        self.untaggedLines = untaggedLines
    }
}

/// Payload of `customer.segment`.
public struct CustomerSegment: Sendable, Equatable, Codable {
    /// The customer's token.
    public var token: String
    /// The new segment; empty when the customer is no longer segmented (they objected to profiling).
    public var segment: String
    /// The new tier.
    public var tier: String
    /// The tier before, when this change moved it.
    public var previousTier: String?
    /// The change's id (a UUID) in the originating store's outbox: it lets that gateway find the event
    /// in its journal after a crash, so the change is published exactly once.
    public var change: String?

    /// Creates a segment change.
    public init(token: String, segment: String, tier: String, previousTier: String? = nil, change: String? = nil) {
        self.token = token
        self.segment = segment
        self.tier = tier
        self.previousTier = previousTier
        self.change = change
    }
}

/// Payload of `customer.erased`.
public struct CustomerErased: Sendable, Equatable, Codable {
    /// The token every subscriber must forget.
    public var token: String
    /// The erasure's id (a UUID) in the originating store's outbox: it lets that gateway find the
    /// tombstone in its journal after a crash instead of publishing it again.
    public var change: String?

    /// Creates a tombstone.
    public init(token: String, change: String? = nil) {
        self.token = token
        self.change = change
    }
}

/// Payload of `reader.status`.
public struct ReaderStatus: Sendable, Equatable, Codable {
    /// The state a source reports.
    public enum State: String, Sendable, Codable {
        /// Connected and delivering.
        case connected
        /// Not connected; retrying.
        case disconnected
        /// A fault: a device missing, a malformed frame, a refused session.
        case error
        /// Reads were dropped on overflow since the last report.
        case dropping
    }
    /// The source's name from the config.
    public var reader: String
    /// Its state.
    public var state: State
    /// A sentence for staff and logs.
    public var message: String?
    /// Reads accepted since start.
    public var reads: UInt64
    /// Reads dropped since start (ring overflow, bad frames).
    public var drops: UInt64

    /// Creates a status payload.
    public init(reader: String, state: State, message: String?, reads: UInt64, drops: UInt64) {
        self.reader = reader
        self.state = state
        self.message = message
        self.reads = reads
        self.drops = drops
    }
}
