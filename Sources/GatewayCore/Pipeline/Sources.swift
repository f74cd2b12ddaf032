import Logging

/// How a source is known to the pipeline: its position in the source table, its name and zones.
public struct SourceDescriptor: Sendable, Equatable {
    /// Position in the gateway's source table; what `TagRead.source` holds.
    public var index: UInt16
    /// The name from the config, used in `reader.status` and presence events.
    public var name: String
    /// The driver that serves it (`simulator`, `llrp`, …).
    public var driver: String
    /// Zone of each antenna port; `defaultZone` covers ports not listed.
    public var antennaZones: [UInt16: String]
    /// Zone for antennas not listed in `antennaZones`.
    public var defaultZone: String?

    /// Creates a descriptor.
    public init(index: UInt16, name: String, driver: String, antennaZones: [UInt16: String] = [:], defaultZone: String? = nil) {
        self.index = index
        self.name = name
        self.driver = driver
        self.antennaZones = antennaZones
        self.defaultZone = defaultZone
    }

    /// The zone of an antenna port, if the config places it anywhere.
    public func zone(ofAntenna antenna: UInt16) -> String? { antennaZones[antenna] ?? defaultZone }
}

/// A state change a driver reports about its device or feed.
public struct SourceStatus: Sendable, Equatable {
    /// The source reporting.
    public var source: UInt16
    /// Its new state.
    public var state: ReaderStatus.State
    /// A sentence that says what happened and where.
    public var message: String?

    /// Creates a status report.
    public init(source: UInt16, state: ReaderStatus.State, message: String? = nil) {
        self.source = source
        self.state = state
        self.message = message
    }
}

/// The producer end a read-producing driver holds: its own ring, plus a way to report status.
public struct ReadSink: Sendable {
    /// The source this sink belongs to.
    public let source: SourceDescriptor
    /// The source's ring; only this driver pushes into it.
    public let ring: SPSCRing<TagRead>
    let inbox: ControlInbox

    /// Creates a sink. The pipeline runner owns the other end of `ring` and `inbox`.
    public init(source: SourceDescriptor, ring: SPSCRing<TagRead>, inbox: ControlInbox) {
        self.source = source
        self.ring = ring
        self.inbox = inbox
    }

    /// Pushes a read under the ring's overflow policy; `false` when it was dropped.
    @discardableResult @inline(__always)
    public func push(_ read: TagRead) -> Bool { ring.push(read) }

    /// Pushes a batch of reads; returns how many were accepted.
    @discardableResult
    public func push(contentsOf reads: [TagRead]) -> Int { ring.push(contentsOf: reads) }

    /// Reports a state change; it reaches the bus as `reader.status`.
    public func report(_ state: ReaderStatus.State, _ message: String? = nil) {
        inbox.post(SourceStatus(source: source.index, state: state, message: message))
    }
}

/// The producer end a POS driver holds. Its ring always blocks: a sale is never dropped.
public struct TransactionSink: Sendable {
    /// The source this sink belongs to.
    public let source: SourceDescriptor
    /// The source's ring.
    public let ring: SPSCRing<PosTransaction>
    let inbox: ControlInbox

    /// Creates a sink. The pipeline runner owns the other end of `ring` and `inbox`.
    public init(source: SourceDescriptor, ring: SPSCRing<PosTransaction>, inbox: ControlInbox) {
        self.source = source
        self.ring = ring
        self.inbox = inbox
    }

    /// Pushes a transaction, waiting while the ring is full; `false` only when the gateway is stopping.
    @discardableResult
    public func push(_ transaction: PosTransaction) -> Bool { ring.push(transaction) }

    /// Reports a state change; it reaches the bus as `reader.status`.
    public func report(_ state: ReaderStatus.State, _ message: String? = nil) {
        inbox.post(SourceStatus(source: source.index, state: state, message: message))
    }
}

/// A driver that produces tag reads: LLRP, USB HID, M100 serial, the simulator.
public protocol ReadSource: Sendable {
    /// Runs until cancelled or until graceful shutdown, pushing reads into `sink`.
    /// Device errors are reported through the sink and retried, not thrown.
    func run(into sink: ReadSink) async throws
}

/// A driver that produces POS transactions: POSLog, webhooks, the ESC/POS tap, the simulator.
public protocol TransactionSource: Sendable {
    /// Runs until cancelled or until graceful shutdown, pushing transactions into `sink`.
    func run(into sink: TransactionSink) async throws
}
