import Bus
import Foundation
import GatewayCore
import Histogram
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A synthetic reader on its own thread: pushes SGTIN-96 reads into its ring at the phase's rate.
///
/// Paced readers push one read at a time on a fixed schedule (so a late read does not shift the
/// ones after it) and note each new tag's ring-entry time; unbounded readers push batches of 64,
/// as one reader report of a dense tag population would arrive.
final class SyntheticReader: @unchecked Sendable {
    private let index: Int
    private let readers: Int
    private let sink: ReadSink
    private let phase: EndToEndPhase
    private let entries: EntryTimes
    private let startNanos: UInt64
    private let done = DispatchSemaphore(value: 0)
    /// Reads the ring accepted; read it after ``join()``.
    private(set) var accepted: UInt64 = 0

    init(index: Int, of readers: Int, sink: ReadSink, phase: EndToEndPhase, entries: EntryTimes, startNanos: UInt64) {
        self.index = index
        self.readers = readers
        self.sink = sink
        self.phase = phase
        self.entries = entries
        self.startNanos = startNanos
    }

    func start() {
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "bench-reader-\(index)"
        thread.start()
    }

    func join() { done.wait() }

    private func run() {
        let tags = SyntheticTags()
        let duration = phase.duration.components
        let end = startNanos + UInt64(duration.seconds) * 1_000_000_000 + UInt64(duration.attoseconds / 1_000_000_000)
        let source = UInt16(index)
        // One read in `repeatEvery` is a new tag; the rest repeat one of the last 64 new tags.
        let repeatEvery = phase.duplicateShare > 0 ? max(1, Int((1 / (1 - phase.duplicateShare)).rounded())) : 1
        var recent = [UInt64](repeating: UInt64(index), count: 64)
        var newTags: UInt64 = 0
        var sequence = 0
        func nextSerial() -> (serial: UInt64, isNew: Bool) {
            defer { sequence &+= 1 }
            if sequence % repeatEvery == 0 {
                let serial = UInt64(index) + newTags * UInt64(readers)
                recent[Int(newTags & 63)] = serial
                newTags += 1
                return (serial, true)
            }
            return (recent[(sequence &* 7) & 63 % max(1, Int(min(newTags, 64)))], false)
        }

        if let rate = phase.offeredRate {
            let interval = 1e9 * Double(readers) / Double(rate)
            var i = 0.0
            while true {
                let due = startNanos + UInt64(i * interval)
                if due >= end { break }
                // Sleep until the read is due, never spin or yield: on a small box a busy reader would take the
                // core the pipeline or the subscriber needs, and show up as their latency. Waking a little late
                // only delays the push; latency is timed from the push itself.
                if monotonicNanos() < due {
                    var wake = timespec(tv_sec: Int(due / 1_000_000_000), tv_nsec: Int(due % 1_000_000_000))
                    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, nil) == EINTR {}
                }
                let (serial, isNew) = nextSerial()
                if isNew { entries.set(serial, monotonicNanos()) }
                if sink.push(TagRead(tag: tags.tag(serial: serial), source: source, antenna: 1, rssi: -5_500, timestamp: .now())) {
                    accepted += 1
                }
                i += 1
            }
        } else {
            var batch = [TagRead](repeating: TagRead(tag: TagID(), source: source, antenna: 1, timestamp: .now()), count: 64)
            while monotonicNanos() < end {
                let now = Timestamp.now()
                for slot in 0..<64 {
                    batch[slot] = TagRead(tag: tags.tag(serial: nextSerial().serial), source: source, antenna: 1, rssi: -5_500, timestamp: now)
                }
                let taken = sink.push(contentsOf: batch)
                accepted += UInt64(taken)
                if taken < 64 { break }
            }
        }
    }
}

/// The bus subscriber on its own thread: counts events and records ring-entry → receipt latency.
final class SubscriberThread: @unchecked Sendable {
    private let subscriber: EventSubscriber
    private let entries: EntryTimes
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private let allDelivered = Atomic<UInt64>(0)
    private let countedDelivered = Atomic<UInt64>(0)
    private let countedEnters = Atomic<UInt64>(0)
    private let firstSeqSeen = Atomic<UInt64>(0)
    // Touched by the thread only until `stop()` returns.
    private(set) var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    private(set) var lastReceiptNanos: UInt64 = 0
    /// When the last `presence.enter` arrived: exits come an absence later by design, so they would
    /// stretch the time the unique reads took.
    private(set) var lastEnterReceiptNanos: UInt64 = 0

    init(subscriber: EventSubscriber, entries: EntryTimes) {
        self.subscriber = subscriber
        self.entries = entries
    }

    /// Every event delivered, warm-up ones included: what the drain compares with the publisher's count.
    var deliveredTotal: UInt64 { allDelivered.load(ordering: .acquiring) }
    /// Events published before the subscription took effect (ZeroMQ's slow joiner): the seqs below
    /// the first one received. They were warm-up events, never part of a measurement.
    var lostBeforeSubscribing: UInt64 {
        let first = firstSeqSeen.load(ordering: .acquiring)
        return first > 0 ? first - 1 : 0
    }
    /// Events of the measured reads (warm-up tags excluded).
    var delivered: UInt64 { countedDelivered.load(ordering: .acquiring) }
    /// `presence.enter` events of the measured reads: one per unique tag.
    var enters: UInt64 { countedEnters.load(ordering: .acquiring) }

    func start() {
        let thread = Thread { [self] in
            loop()
            done.signal()
        }
        thread.name = "bench-subscriber"
        thread.start()
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        done.wait()
    }

    private func loop() {
        while !stopping.load(ordering: .acquiring) {
            guard let events = try? subscriber.receive(maxBatch: 4_096, timeout: .milliseconds(20)), !events.isEmpty else { continue }
            // Receipt: when the subscriber hands the batch over, decoded, as an application would get it.
            let received = monotonicNanos()
            lastReceiptNanos = received
            if firstSeqSeen.load(ordering: .relaxed) == 0 { firstSeqSeen.store(events[0].seq, ordering: .releasing) }
            for event in events {
                allDelivered.add(1, ordering: .relaxed)
                var serial: UInt64?
                var isEnter = false
                switch event.payload {
                case .presenceEnter(let presence):
                    serial = presence.epc.flatMap(SyntheticTags.serial(ofPureIdentityURI:))
                    isEnter = true
                case .presenceExit(let presence):
                    serial = presence.epc.flatMap(SyntheticTags.serial(ofPureIdentityURI:))
                default:
                    break
                }
                if let serial, serial >= EndToEndBench.warmupSerialBase { continue }
                countedDelivered.add(1, ordering: .relaxed)
                guard isEnter else { continue }
                countedEnters.add(1, ordering: .relaxed)
                lastEnterReceiptNanos = received
                if let serial {
                    let entered = entries.get(serial)
                    if entered != 0, received > entered { histogram.record(received - entered) }
                }
            }
        }
    }
}
