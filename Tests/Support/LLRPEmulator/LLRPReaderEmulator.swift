import LLRP
import NIOCore
import NIOPosix
import Synchronization

/// The reader side of LLRP on loopback, for tests: it plays an Impinj-like fixed reader through
/// the session (connection event, capabilities, keepalives, ROSpec), streams tag reports, and
/// injects the faults real readers and networks produce.
///
/// Every knob may be turned while a client is connected; the streaming and keepalive timers read
/// the current setting on each tick.
public final class LLRPReaderEmulator: Sendable {
    /// Who the emulated reader says it is and how strict it is.
    public struct Configuration: Sendable {
        /// Maker (IANA enterprise number); 25882 is Impinj.
        public var manufacturer: UInt32 = LLRPCustomParameter.impinjVendorID
        /// Model number.
        public var model: UInt32 = 2_001_002
        /// Firmware text.
        public var firmware = "emulator-1.0"
        /// Antenna ports.
        public var antennaCount: UInt16 = 4
        /// Answer `DELETE_ROSPEC 0` with an error, as some readers do.
        public var rejectsDeleteAll = false

        /// The defaults: an Impinj-like reader with four antennas.
        public init() {}
    }

    /// How the emulator streams tag reports once the client has started its ROSpec.
    public struct Stream: Sendable {
        /// Where EPCs come from.
        public enum Tags: Sendable {
            /// A fresh EPC-96 per read: the 8-byte prefix, then a 32-bit serial unique for the emulator's life.
            case sequential(prefix: [UInt8])
            /// These EPCs (any length up to 496 bits), one after another, round and round.
            case cycling([[UInt8]])
        }

        /// Reads per second; `nil` streams as fast as the socket accepts.
        public var readsPerSecond: Double?
        /// Tags per report; `nil` follows the client's ROReportSpec N.
        public var tagsPerReport: Int?
        /// Antennas the reads come from, in rotation.
        public var antennas: [UInt16]
        /// The EPCs.
        public var tags: Tags
        /// `PeakRSSI` in dBm.
        public var peakRSSI: Int8
        /// Also send Impinj's custom peak RSSI (hundredths of a dBm), as an R700 does.
        public var impinjPeakRSSI: Int16?
        /// Stop after this many reads in total.
        public var limit: Int?

        /// Creates a stream description.
        public init(readsPerSecond: Double? = 500, tagsPerReport: Int? = nil, antennas: [UInt16] = [1],
                    tags: Tags = .sequential(prefix: LLRPReaderEmulator.sgtinPrefix), peakRSSI: Int8 = -52,
                    impinjPeakRSSI: Int16? = nil, limit: Int? = nil) {
            self.readsPerSecond = readsPerSecond
            self.tagsPerReport = tagsPerReport
            self.antennas = antennas.isEmpty ? [1] : antennas
            self.tags = tags
            self.peakRSSI = peakRSSI
            self.impinjPeakRSSI = impinjPeakRSSI
            self.limit = limit
        }
    }

    /// What happened on one accepted connection.
    public struct Connection: Sendable {
        /// Position in accept order, from 0.
        public var index: Int
        /// When it was accepted.
        public var acceptedAt: ContinuousClock.Instant
        /// The `ConnectionAttemptEvent` status sent when the connection was refused.
        public var refusedWith: UInt16?
        /// Requests the client sent, in order.
        public var requests: [LLRPMessageType] = []
        /// The id of each request, in order.
        public var requestIDs: [UInt32] = []
        /// The keepalive period the client asked for, in milliseconds.
        public var keepaliveInterval: UInt32?
        /// The ROSpec the client added.
        public var roSpec: ROSpec?
        /// The client started its ROSpec.
        public var started = false
        /// The client sent `CLOSE_CONNECTION`.
        public var closeConnectionReceived = false
        /// `KEEPALIVE`s sent.
        public var keepalivesSent = 0
        /// `KEEPALIVE_ACK`s received.
        public var keepaliveAcks = 0
        /// Reads in reports fully written to the socket.
        public var readsSent = 0
        /// Serials (for `.sequential` tags) fully written, as contiguous ranges.
        public var serialsSent: [ClosedRange<UInt32>] = []
        /// The connection is closed.
        public var closed = false
        /// When it closed.
        public var closedAt: ContinuousClock.Instant?

        /// Every serial in ``serialsSent``.
        public var allSerials: [UInt32] { serialsSent.flatMap { Array($0) } }
    }

    /// The GS1 example SGTIN-96 prefix (`urn:epc:id:sgtin:0614141.812345.*`), serial bits zero.
    public static let sgtinPrefix: [UInt8] = [0x30, 0x74, 0x25, 0x7B, 0xF7, 0x19, 0x4E, 0x40]

    struct State {
        var configuration: Configuration
        var stream: Stream?
        var keepalivesEnabled = true
        var clockOffsetMicros: Int64 = 0
        var refusals: [UInt16] = []
        var connections: [Connection] = []
        var channels: [Int: any Channel] = [:]
        var nextSerial: UInt32 = 1
        var cycleIndex = 0
        var streamedTotal = 0
    }

    let state: Mutex<State>
    private let serverChannel: any Channel

    /// The port the emulator listens on (127.0.0.1).
    public let port: Int

    private init(state: State, serverChannel: any Channel, port: Int) {
        self.state = Mutex(state)
        self.serverChannel = serverChannel
        self.port = port
    }

    /// Starts listening on 127.0.0.1 on a port the system picks.
    public static func start(configuration: Configuration = Configuration()) async throws -> LLRPReaderEmulator {
        let box = EmulatorBox()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let emulator = box.emulator else { throw ChannelError.ioOnClosedChannel }
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(LLRPFrameDecoder()),
                        EmulatedReaderHandler(emulator: emulator),
                    ])
                }
            }
        let server = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        guard let port = server.localAddress?.port else { throw ChannelError.unknownLocalAddress }
        let emulator = LLRPReaderEmulator(state: State(configuration: configuration), serverChannel: server, port: port)
        box.emulator = emulator
        return emulator
    }

    /// Stops listening and closes every connection.
    public func shutdown() async {
        try? await serverChannel.close()
        let channels = state.withLock { Array($0.channels.values) }
        for channel in channels { try? await channel.close() }
    }

    // MARK: Knobs

    /// Refuses the next connections with these `ConnectionAttemptEvent` statuses (2: a client
    /// connection already exists), one per connection, then accepts again.
    public func refuseNextConnections(with statuses: [UInt16]) {
        state.withLock { $0.refusals.append(contentsOf: statuses) }
    }

    /// Starts (or changes) streaming reports; `nil` stops.
    public func setStream(_ stream: Stream?) {
        state.withLock {
            $0.stream = stream
            $0.streamedTotal = 0
        }
    }

    /// Turns the keepalives off (a link gone silent) or back on.
    public func setKeepalivesEnabled(_ enabled: Bool) {
        state.withLock { $0.keepalivesEnabled = enabled }
    }

    /// Moves the reader's clock by an offset from the host's, in microseconds.
    public func setClockOffset(microseconds: Int64) {
        state.withLock { $0.clockOffsetMicros = microseconds }
    }

    /// Sets the reader's clock to 2000-01-01T00:00:00Z, running from now: an unset clock.
    public func setClockToYear2000() {
        let y2k: Int64 = 946_684_800_000_000
        let now = Int64(EmulatedReaderHandler.hostMicros())
        setClockOffset(microseconds: y2k - now)
    }

    /// Sets whether `DELETE_ROSPEC 0` is refused.
    public func setRejectsDeleteAll(_ rejects: Bool) {
        state.withLock { $0.configuration.rejectsDeleteAll = rejects }
    }

    // MARK: Faults on the live connection

    /// Closes the newest open connection; with `midReport`, after writing half a report.
    public func dropConnection(midReport: Bool) {
        command(.drop(midReport: midReport))
    }

    /// Sends a report whose tag carries a Zebra custom parameter (161/709), an unknown TLV and
    /// Impinj's peak RSSI, with a report-level custom parameter too. Returns the EPC used.
    @discardableResult
    public func sendVendorParameterReport(epc: [UInt8], antenna: UInt16, impinjPeakRSSI: Int16) -> [UInt8] {
        command(.vendorReport(epc: epc, antenna: antenna, impinjPeakRSSI: impinjPeakRSSI))
        return epc
    }

    /// Sends an `RO_ACCESS_REPORT` whose inner `TagReportData` runs past the end of the message:
    /// the framing stays sound, the contents are truncated.
    public func sendTruncatedReport() {
        command(.truncatedReport)
    }

    /// Sends a header announcing a 4-byte message: the stream can no longer be framed.
    public func sendCorruptHeader() {
        command(.corruptHeader)
    }

    /// Sends a message on the newest open connection.
    public func send(_ message: LLRPMessage) {
        command(.raw(message.encode()))
    }

    /// Sends bytes as they are on the newest open connection.
    public func send(bytes: [UInt8]) {
        command(.raw(bytes))
    }

    private func command(_ command: EmulatorCommand) {
        guard let channel = state.withLock({ s in s.connections.last(where: { !$0.closed }).flatMap { s.channels[$0.index] } }) else { return }
        channel.pipeline.fireUserInboundEventTriggered(command)
    }

    // MARK: Observations

    /// Every connection so far, in accept order.
    public var connections: [Connection] { state.withLock { $0.connections } }

    /// Connections that were accepted and not refused.
    public var acceptedConnections: [Connection] { connections.filter { $0.refusedWith == nil } }
}

/// Lets the child initializer reach the emulator, which exists only once the bind has succeeded.
final class EmulatorBox: Sendable {
    private let value = Mutex<LLRPReaderEmulator?>(nil)
    var emulator: LLRPReaderEmulator? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

/// A fault to inject on a live connection, delivered through its pipeline.
enum EmulatorCommand: Sendable {
    case drop(midReport: Bool)
    case vendorReport(epc: [UInt8], antenna: UInt16, impinjPeakRSSI: Int16)
    case truncatedReport
    case corruptHeader
    case raw([UInt8])
}
