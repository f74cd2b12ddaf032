/// What a browser shows, section by section. Sent whole on connect (a snapshot), then section by
/// section as it changes (patches). Only what staff need: first names and tiers, never surnames,
/// e-mail or credentials; tokens appear only in the CLV ranking.
public struct DashboardState: Codable, Sendable, Equatable {
    /// The gateways heard from.
    public var gateways: [String] = []
    /// VIP arrivals, newest first.
    public var alerts: [Alert] = []
    /// Live counts per zone.
    public var zones: [ZoneCount] = []
    /// Recent presence events, newest first.
    public var presence: [PresenceItem] = []
    /// Every source: configured ones first, then any reported on the bus.
    public var readers: [Reader] = []
    /// Today's sales.
    public var sales = Sales()
    /// Customers per tier and segment.
    public var segments = Segments()
    /// Pipeline, bus and store health.
    public var system = SystemSummary()

    /// Creates an empty state.
    public init() {}

    /// A VIP arrival as staff see it.
    public struct Alert: Codable, Sendable, Equatable {
        /// Stable id: the gateway and the event's seq.
        public var id: String
        /// First name, for the greeting.
        public var firstName: String
        /// Tier, e.g. `vip`.
        public var tier: String
        /// Where they were recognised.
        public var zone: String
        /// When, RFC 3339.
        public var ts: String
        /// Whether someone pressed acknowledge.
        public var acknowledged: Bool
        /// Who acknowledged it.
        public var acknowledgedBy: String?
    }

    /// A zone's live counts.
    public struct ZoneCount: Codable, Sendable, Equatable {
        /// The zone.
        public var name: String
        /// Consenting, identified customers present.
        public var customers: Int = 0
        /// Unidentified people present.
        public var visitors: Int = 0
        /// Tagged items present (catalogued or the store's own tags).
        public var items: Int = 0

        /// Creates a zone's counts.
        public init(name: String, customers: Int = 0, visitors: Int = 0, items: Int = 0) {
            self.name = name
            self.customers = customers
            self.visitors = visitors
            self.items = items
        }
    }

    /// One presence event, without the customer's identity.
    public struct PresenceItem: Codable, Sendable, Equatable {
        /// When, RFC 3339.
        public var ts: String
        /// `enter` or `exit`.
        public var kind: String
        /// The zone.
        public var zone: String
        /// `customer`, `visitor`, `item` or `tag`.
        public var subject: String
        /// The product name for items; empty for people.
        public var label: String
        /// The reader that saw it.
        public var reader: String
    }

    /// A source's health.
    public struct Reader: Codable, Sendable, Equatable {
        /// The source's name.
        public var name: String
        /// Its gateway.
        public var gateway: String
        /// `reads` or `transactions`, when known from the config.
        public var kind: String
        /// `waiting` (nothing reported yet), `connected`, `disconnected`, `error`, `dropping`.
        public var state: String
        /// The last status message.
        public var message: String?
        /// Reads accepted since start.
        public var reads: UInt64 = 0
        /// Reads dropped since start.
        public var drops: UInt64 = 0
        /// Reads per second, last sample.
        public var rate: Double = 0
        /// Reads per second, one sample a second, oldest first (the sparkline).
        public var history: [Double] = []
        /// When it last delivered a read or a status, RFC 3339.
        public var lastSeen: String?
    }

    /// Today's sales.
    public struct Sales: Codable, Sendable, Equatable {
        /// The business day counted, `YYYY-MM-DD`.
        public var day: String?
        /// Completed sales.
        public var transactions: Int = 0
        /// Revenue, the sum of totals, as a decimal string.
        public var revenue: String = "0"
        /// The currency of the revenue (the first seen today).
        public var currency: String?
        /// Sales with a loyalty customer.
        public var withCustomer: Int = 0
        /// Basket links received.
        public var basketLinks: Int = 0
        /// GTINs seen at a checkout and found on the receipt.
        public var matched: Int = 0
        /// GTINs seen at a checkout but not on the receipt.
        public var unmatched: Int = 0
        /// matched / (matched + unmatched); absent until there is a basket link.
        public var matchRate: Double?
        /// Latest sales, newest first.
        public var recent: [Sale] = []
    }

    /// A sale as the dashboard lists it.
    public struct Sale: Codable, Sendable, Equatable {
        /// When it ended, RFC 3339.
        public var ts: String
        /// The till.
        public var workstation: String
        /// The POS's transaction number.
        public var number: String
        /// Grand total, decimal string.
        public var total: String
        /// Currency.
        public var currency: String
        /// Receipt lines.
        public var lines: Int
        /// Whether a loyalty customer was identified.
        public var customer: Bool
    }

    /// Customers per tier and segment, and the CLV ranking: read from the CRM store, where the
    /// segmentation run keeps its results, so a dashboard started after the run shows them at once.
    public struct Segments: Codable, Sendable, Equatable {
        /// Whether a CRM store feeds this section; a dashboard without one has nothing to show here.
        public var fromStore = false
        /// Customers per tier, every customer counted, largest first.
        public var tiers: [Count] = []
        /// Segmented customers per segment, largest first; empty until a segmentation run.
        public var segments: [Count] = []
        /// Segmented customers per segment and current tier: the stacked chart.
        public var bySegmentAndTier: [SegmentTierCount] = []
        /// Top customers by lifetime value: token and first name only. Empty until CLV is computed.
        public var topCustomers: [TopCustomer] = []
        /// The latest segmentation run, when there was one.
        public var lastRun: SegmentationRun?

        /// Creates an empty section.
        public init() {}
    }

    /// A labelled count.
    public struct Count: Codable, Sendable, Equatable {
        /// The label.
        public var name: String
        /// The count.
        public var count: Int

        /// Creates a count.
        public init(name: String, count: Int) {
            self.name = name
            self.count = count
        }
    }

    /// How many segmented customers are in one segment with one tier.
    public struct SegmentTierCount: Codable, Sendable, Equatable {
        /// The RFM segment.
        public var segment: String
        /// The customer's tier now.
        public var tier: String
        /// The count.
        public var count: Int

        /// Creates a count.
        public init(segment: String, tier: String, count: Int) {
            self.segment = segment
            self.tier = tier
            self.count = count
        }
    }

    /// A customer in the CLV ranking.
    public struct TopCustomer: Codable, Sendable, Equatable {
        /// Pseudonymous token.
        public var token: String
        /// First name; empty when the store has none (a customer known only from purchase history).
        public var firstName: String
        /// Lifetime value.
        public var clv: Double

        /// Creates an entry.
        public init(token: String, firstName: String, clv: Double) {
            self.token = token
            self.firstName = firstName
            self.clv = clv
        }
    }

    /// When segments were last computed.
    public struct SegmentationRun: Codable, Sendable, Equatable {
        /// The day the run looked back from, `YYYY-MM-DD`.
        public var asOf: String
        /// When it finished, RFC 3339.
        public var finishedAt: String
        /// Customers it scored.
        public var customers: Int

        /// Creates a run's summary.
        public init(asOf: String, finishedAt: String, customers: Int) {
            self.asOf = asOf
            self.finishedAt = finishedAt
            self.customers = customers
        }
    }

    /// Health of the machinery.
    public struct SystemSummary: Codable, Sendable, Equatable {
        /// Whether the numbers come from inside a running gateway (else only from the bus).
        public var inProcess = false
        /// Events received by the dashboard per second.
        public var eventsPerSecond: Double = 0
        /// Events received by the dashboard since it started.
        public var eventsReceived: UInt64 = 0
        /// The last seq the gateway published (in process) or the dashboard received.
        public var lastSeq: UInt64 = 0
        /// Messages the bus refused to slow subscribers.
        public var busRefused: UInt64?
        /// Events the dashboard is behind the publisher.
        public var dashboardLag: UInt64?
        /// Events the CRM store is behind the publisher.
        public var storeLag: UInt64?
        /// Journal size in bytes.
        public var journalBytes: Int64?
        /// Places where a gateway's seq jumped ahead at the dashboard's subscriber.
        public var gaps: UInt64 = 0
        /// Events fetched from a gateway's replay to fill those gaps.
        public var recovered: UInt64 = 0
        /// Events the dashboard never got: beyond what replay keeps, or no replay configured.
        public var lost: UInt64 = 0
        /// Ring fill and drops per source.
        public var rings: [Ring] = []
        /// Browsers connected.
        public var clients: Int = 0
    }

    /// A source's ring.
    public struct Ring: Codable, Sendable, Equatable {
        /// The source.
        public var name: String
        /// Items waiting.
        public var queued: Int
        /// Capacity.
        public var capacity: Int
        /// Items dropped on overflow since start.
        public var dropped: UInt64

        /// Creates a ring's numbers.
        public init(name: String, queued: Int, capacity: Int, dropped: UInt64) {
            self.name = name
            self.queued = queued
            self.capacity = capacity
            self.dropped = dropped
        }
    }
}

/// One message on the browser WebSocket.
public struct FeedMessage: Codable, Sendable, Equatable {
    /// `snapshot` (the whole state) or `patch` (changed sections).
    public var kind: String
    /// Dense per dashboard process, from 1: a browser that sees a jump asks to resume.
    public var seq: UInt64
    /// Identifies this dashboard process, so a browser resuming against a restarted one gets a snapshot.
    public var epoch: String
    /// The whole state (`snapshot`).
    public var state: DashboardState?
    /// Changed sections (`patch`).
    public var patch: Patch?

    /// The sections a patch may carry; absent ones did not change.
    public struct Patch: Codable, Sendable, Equatable {
        /// Replaces `gateways`.
        public var gateways: [String]?
        /// Replaces `alerts`.
        public var alerts: [DashboardState.Alert]?
        /// Alerts that just arrived: the browser pops them up.
        public var newAlerts: [DashboardState.Alert]?
        /// Replaces `zones`.
        public var zones: [DashboardState.ZoneCount]?
        /// Replaces `presence`.
        public var presence: [DashboardState.PresenceItem]?
        /// Replaces `readers`.
        public var readers: [DashboardState.Reader]?
        /// Replaces `sales`.
        public var sales: DashboardState.Sales?
        /// Replaces `segments`.
        public var segments: DashboardState.Segments?
        /// Replaces `system`.
        public var system: DashboardState.SystemSummary?

        /// An empty patch.
        public init() {}
    }
}

/// In-process counters a running gateway hands the dashboard once a second.
public struct SystemSample: Sendable, Equatable {
    /// A source's ring counters.
    public struct Source: Sendable, Equatable {
        /// The source's name.
        public var name: String
        /// `reads` or `transactions`.
        public var kind: String
        /// Items the ring accepted since start.
        public var accepted: UInt64
        /// Items dropped since start.
        public var dropped: UInt64
        /// Items waiting now.
        public var queued: Int
        /// Ring capacity.
        public var capacity: Int

        /// Creates a source sample.
        public init(name: String, kind: String, accepted: UInt64, dropped: UInt64, queued: Int, capacity: Int) {
            self.name = name
            self.kind = kind
            self.accepted = accepted
            self.dropped = dropped
            self.queued = queued
            self.capacity = capacity
        }
    }

    /// The gateway's id.
    public var gateway: String
    /// Every configured source.
    public var sources: [Source]
    /// Reads the pipeline processed.
    public var reads: UInt64
    /// The last seq published.
    public var publishedSeq: UInt64
    /// Messages the bus refused.
    public var busRefused: UInt64
    /// Journal size in bytes.
    public var journalBytes: Int64
    /// The CRM store's applied seq for this gateway, when it runs embedded.
    public var storeAppliedSeq: UInt64?

    /// Creates a sample.
    public init(gateway: String, sources: [Source], reads: UInt64, publishedSeq: UInt64, busRefused: UInt64, journalBytes: Int64,
                storeAppliedSeq: UInt64?) {
        self.gateway = gateway
        self.sources = sources
        self.reads = reads
        self.publishedSeq = publishedSeq
        self.busRefused = busRefused
        self.journalBytes = journalBytes
        self.storeAppliedSeq = storeAppliedSeq
    }
}
