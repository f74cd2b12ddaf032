import Bus
import Foundation
import GatewayCore
import Histogram
import Logging
import Matching
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One end-to-end run: synthetic readers → rings → PipelineRunner + StorePipeline → journal and
/// ZeroMQ publisher → an EventSubscriber on its own thread, all in this process, no network but loopback.
struct EndToEndPhase: Sendable {
    /// Offered reads per second over all readers; `nil` is as fast as the readers can push.
    var offeredRate: Int?
    /// Share of reads that repeat a tag already present (0.9 in the 90%-duplicates mode).
    var duplicateShare: Double
    /// How long the readers push.
    var duration: Duration
    /// Number of synthetic readers, each with its own ring and thread.
    var readers: Int
    /// Name in the report, e.g. `at_10k`.
    var name: String

    /// `matching.presenceCapacity` as a store would set it for this load: the new tags its readers
    /// see within one absence (room for a million when unbounded), never below the default.
    var presenceCapacity: Int {
        let matching = MatchingConfig()
        let absenceSeconds = Double(matching.absence.components.seconds)
        let present = offeredRate.map { Int(Double($0) * (1 - duplicateShare) * absenceSeconds * 1.25) } ?? 1 << 20
        return max(matching.presenceCapacity, present)
    }
}

/// What one phase measured.
struct EndToEndResult: Sendable {
    var name: String
    var readsIn: UInt64 = 0
    var readsPerSecond: Double = 0
    var enterEvents: UInt64 = 0
    var events: UInt64 = 0
    var uniqueEventsPerSecond: Double = 0
    var eventsPerSecond: Double = 0
    /// Ring entry → subscriber receipt, in nanoseconds (recorded only for paced phases).
    var latency: Histogram<UInt64>?
    var cpuCores: Double = 0
    var residentMiB: Double = 0
    var ringDrops: UInt64 = 0
    var busRefused: UInt64 = 0
    var unencodable: UInt64 = 0
    var journalFailures: UInt64 = 0
    var missingAtSubscriber: UInt64 = 0
    var undelivered: UInt64 = 0

    /// Everything lost anywhere on the way.
    var drops: UInt64 { ringDrops + busRefused + unencodable + journalFailures + missingAtSubscriber + undelivered }
}

/// A read's ring-entry time, keyed by its tag's serial: how latency is measured without touching the bus contract.
///
/// Each serial is written once by its reader thread before the read is pushed, and read by the
/// subscriber thread after the event for it arrived; the ring's release/acquire and ZeroMQ's own
/// hand-offs order the two, so plain memory is enough.
final class EntryTimes: @unchecked Sendable {
    let capacity: Int
    private let nanos: UnsafeMutablePointer<UInt64>

    init(capacity: Int) {
        self.capacity = capacity
        nanos = .allocate(capacity: capacity)
        nanos.initialize(repeating: 0, count: capacity)
    }

    deinit { nanos.deallocate() }

    @inline(__always) func set(_ serial: UInt64, _ value: UInt64) {
        if serial < UInt64(capacity) { nanos[Int(serial)] = value }
    }

    @inline(__always) func get(_ serial: UInt64) -> UInt64 {
        serial < UInt64(capacity) ? nanos[Int(serial)] : 0
    }
}

/// Runs end-to-end phases.
struct EndToEndBench {
    let logger: Logger

    /// Serials from here up are warm-up reads, never timed.
    static let warmupSerialBase: UInt64 = 200_000_000_000

    func run(_ phase: EndToEndPhase) async throws -> EndToEndResult {
        let journalDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-bench-\(getpid())-\(phase.name)").path
        try? FileManager.default.removeItem(atPath: journalDirectory)
        defer { try? FileManager.default.removeItem(atPath: journalDirectory) }

        // Paced phases keep the gateway's default ring (dropOldest, so overload shows as drops);
        // unbounded ones block the reader, so what they measure is what the gateway sustains.
        let overflow: OverflowPolicy = phase.offeredRate == nil ? .block : RingSettingsDefaults.overflow
        let doorbell = Doorbell()
        let inbox = ControlInbox(doorbell: doorbell)
        var sinks: [ReadSink] = []
        var counters: [UInt16: any SourceCounters] = [:]
        var sources: [SourceDescriptor] = []
        for index in 0..<phase.readers {
            let descriptor = SourceDescriptor(index: UInt16(index), name: "bench-\(index)", driver: "bench", defaultZone: "floor")
            let ring = SPSCRing<TagRead>(capacity: RingSettingsDefaults.capacity, policy: overflow, doorbell: doorbell)
            sinks.append(ReadSink(source: descriptor, ring: ring, inbox: inbox))
            counters[UInt16(index)] = ring
            sources.append(descriptor)
        }

        var bus = BusConfig()
        bus.journal.enabled = true
        let publisher = try bindPublisher(bus: &bus, journalDirectory: journalDirectory)
        var layout = StoreLayoutConfig()
        layout.companyPrefixes = [SyntheticTags.companyPrefix]
        let directory = Directory(customers: [], products: [.init(gtin: SyntheticTags.gtin, name: "Blue Scarf", category: "accessories")])
        var matching = MatchingConfig()
        matching.presenceCapacity = phase.presenceCapacity
        let pipeline = StorePipeline(configuration: matching, layout: layout, sources: sources, counters: counters,
                                     directory: directory, sink: publisher, logger: logger)
        let runner = PipelineRunner(readSinks: sinks, transactionSinks: [], doorbell: doorbell, inbox: inbox, processor: pipeline, logger: logger)
        let subscriber = try EventSubscriber(endpoints: [publisher.endpoint], receiveHighWaterMark: bus.receiveHighWaterMark, logger: logger)

        let timed = phase.offeredRate.map { rate in
            Int(min(Double(rate) * Double(phase.duration.components.seconds + 1) * 1.2, 50_000_000))
        } ?? 0
        let entries = EntryTimes(capacity: timed)
        let listener = SubscriberThread(subscriber: subscriber, entries: entries)
        runner.start()
        listener.start()

        // ZeroMQ drops what a PUB sends before the SUB's subscription arrives: wait until a warm-up read makes it through.
        let tags = SyntheticTags()
        var warmup = Self.warmupSerialBase
        let warmupDeadline = monotonicNanos() + 10_000_000_000
        while listener.deliveredTotal == 0 {
            guard monotonicNanos() < warmupDeadline else { throw CLIError("bench: the subscriber received nothing from \(publisher.endpoint) in 10 s") }
            sinks[0].push(TagRead(tag: tags.tag(serial: warmup), source: 0, antenna: 1, timestamp: .now()))
            warmup += 1
            usleep(20_000)
        }
        // Warm-up events are not counted: the subscriber skips their serials.

        let before = ProcessStats.now()
        let start = monotonicNanos()
        let readerThreads = (0..<phase.readers).map { index in
            SyntheticReader(index: index, of: phase.readers, sink: sinks[index], phase: phase, entries: entries, startNanos: start)
        }
        for reader in readerThreads { reader.start() }
        for reader in readerThreads { reader.join() }
        let pushedUntil = monotonicNanos()

        // Drain: the pipeline, then the subscriber up to the last published event (or give up after 10 s).
        await runner.stop()
        let published = publisher.statistics.published
        let drainDeadline = monotonicNanos() + 10_000_000_000
        while listener.deliveredTotal + listener.lostBeforeSubscribing < published && monotonicNanos() < drainDeadline { usleep(1_000) }
        listener.stop()
        let after = ProcessStats.now()
        let lastReceipt = max(listener.lastReceiptNanos, pushedUntil)

        var result = EndToEndResult(name: phase.name)
        result.readsIn = readerThreads.reduce(0) { $0 + $1.accepted }
        let pushSeconds = Double(pushedUntil - start) / 1e9
        let outSeconds = Double(lastReceipt - start) / 1e9
        result.readsPerSecond = Double(result.readsIn) / pushSeconds
        result.enterEvents = listener.enters
        result.events = listener.delivered
        // Unique reads → their enter events, timed to the last enter: exits fall due an absence (3 s) later.
        let enterSeconds = Double(max(listener.lastEnterReceiptNanos, pushedUntil) - start) / 1e9
        result.uniqueEventsPerSecond = Double(result.enterEvents) / enterSeconds
        result.eventsPerSecond = Double(result.events) / outSeconds
        result.latency = phase.offeredRate == nil ? nil : listener.histogram
        result.cpuCores = (after.cpuSeconds - before.cpuSeconds) / Double(after.cpuSeconds > before.cpuSeconds ? (lastReceipt - start) : 1) * 1e9
        result.residentMiB = Double(after.residentBytes) / 1_048_576
        result.ringDrops = sinks.reduce(0) { $0 + $1.ring.dropped }
        let statistics = publisher.statistics
        result.busRefused = statistics.refused
        result.unencodable = statistics.unencodable
        result.journalFailures = statistics.journalFailures
        result.missingAtSubscriber = subscriber.statistics.missing
        let accounted = listener.deliveredTotal + listener.lostBeforeSubscribing
        result.undelivered = published > accounted ? published - accounted : 0
        publisher.close()
        subscriber.close()
        return result
    }

    /// Binds the publisher on a free loopback port; another process may take the port between the probe and the bind, so try a few.
    private func bindPublisher(bus: inout BusConfig, journalDirectory: String) throws -> EventPublisher {
        var lastError: (any Error)?
        for _ in 0..<5 {
            let publishPort = try freeLoopbackPort()
            var replayPort = try freeLoopbackPort()
            while replayPort == publishPort { replayPort = try freeLoopbackPort() }
            bus.publish = "tcp://127.0.0.1:\(publishPort)"
            bus.replay = "tcp://127.0.0.1:\(replayPort)"
            do {
                return try EventPublisher(configuration: bus, gateway: "gw-bench", store: "bench", journalDirectory: journalDirectory, logger: logger)
            } catch {
                lastError = error
            }
        }
        throw CLIError("bench: cannot bind the bus publisher on loopback: \(lastError.map { "\($0)" } ?? "?")")
    }
}

/// The ring defaults a source gets when the config says nothing.
enum RingSettingsDefaults {
    static var capacity: Int { GatewayCore.SourceConfig.Ring().capacity }
    static var overflow: OverflowPolicy { GatewayCore.SourceConfig.Ring().overflow }
}

/// A port the kernel says is free on 127.0.0.1 (bound to port 0, read back, closed).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw CLIError("bench: socket() failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else { throw CLIError("bench: cannot bind a probe socket on 127.0.0.1: errno \(errno)") }
    let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    guard named == 0 else { throw CLIError("bench: getsockname failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}
