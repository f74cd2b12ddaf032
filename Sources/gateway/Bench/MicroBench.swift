import Bus
import EPC
import Foundation
import GatewayCore
import Logging
import Matching
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Counts the reads the pipeline thread hands over, so the ring is measured through the real ``PipelineRunner``.
final class CountingProcessor: PipelineProcessor, @unchecked Sendable {
    private var seen = 0
    private let target: Int
    private let finished = DispatchSemaphore(value: 0)

    init(target: Int) { self.target = target }

    func process(read: TagRead) {
        seen &+= 1
        if seen == target { finished.signal() }
    }
    func process(transaction: PosTransaction, from source: UInt16) {}
    func process(status: SourceStatus) {}
    func tick(now: Timestamp) {}
    func flush() {}
    func finish() {}

    func wait() { finished.wait() }
}

/// In-process figures for each hot path, each beside its baseline in the same run.
struct MicroBench {
    /// Items per ring measurement.
    let ringItems: Int
    /// Decodes per EPC measurement.
    let decodes: Int
    /// Customers and products in the matcher's directory.
    let directorySize: Int

    // MARK: Ring

    /// Reads per second from a reader thread through the ring to the pipeline thread (``PipelineRunner``
    /// draining as it does in the gateway). `batch` 1 pushes one read at a time; 64 pushes batches of 64.
    func ringThroughput(batch: Int) async -> Double {
        let count = ringItems / batch * batch
        let doorbell = Doorbell()
        let inbox = ControlInbox(doorbell: doorbell)
        let ring = SPSCRing<TagRead>(capacity: RingSettingsDefaults.capacity, policy: .block, doorbell: doorbell)
        let sink = ReadSink(source: SourceDescriptor(index: 0, name: "bench", driver: "bench"), ring: ring, inbox: inbox)
        let processor = CountingProcessor(target: count)
        var logger = Logger(label: "gateway.bench")
        logger.logLevel = .warning
        let runner = PipelineRunner(readSinks: [sink], transactionSinks: [], doorbell: doorbell, inbox: inbox, processor: processor, logger: logger)
        runner.start()
        let read = TagRead(tag: SyntheticTags().tag(serial: 1), source: 0, antenna: 1, timestamp: .now())
        let start = monotonicNanos()
        if batch == 1 {
            for _ in 0..<count { sink.push(read) }
        } else {
            let reads = [TagRead](repeating: read, count: batch)
            var pushed = 0
            while pushed < count { pushed += sink.push(contentsOf: reads) }
        }
        processor.wait()
        let elapsed = monotonicNanos() - start
        await runner.stop()
        return Double(count) / (Double(elapsed) / 1e9)
    }

    /// The baseline: the same hand-over through a mutex-protected circular array, one read at a time each side.
    func mutexBaselineThroughput() -> Double {
        struct Queue {
            var slots: [TagRead]
            var head = 0
            var count = 0
        }
        let capacity = RingSettingsDefaults.capacity
        let read = TagRead(tag: SyntheticTags().tag(serial: 1), source: 0, antenna: 1, timestamp: .now())
        let queue = Mutex(Queue(slots: [TagRead](repeating: read, count: capacity)))
        let count = ringItems / 4
        let done = DispatchSemaphore(value: 0)
        let start = monotonicNanos()
        Thread {
            var taken = 0
            while taken < count {
                let item: TagRead? = queue.withLock { q in
                    guard q.count > 0 else { return nil }
                    defer { q.head = (q.head + 1) % capacity; q.count -= 1 }
                    return q.slots[q.head]
                }
                if let item {
                    consume(item)
                    taken += 1
                }
            }
            done.signal()
        }.start()
        var pushed = 0
        while pushed < count {
            let stored = queue.withLock { q -> Bool in
                guard q.count < capacity else { return false }
                q.slots[(q.head + q.count) % capacity] = read
                q.count += 1
                return true
            }
            if stored { pushed += 1 } else { sched_yield() }
        }
        done.wait()
        return Double(count) / (Double(monotonicNanos() - start) / 1e9)
    }

    // MARK: EPC

    /// Nanoseconds per SGTIN-96 → GTIN + serial on the pipeline's register fast path.
    func sgtin96FastPathNanos() -> Double {
        let tags = SyntheticTags()
        let pool = (0..<1_024).map { tags.tag(serial: UInt64($0) &* 2_654_435_761) }
        var checksum: UInt64 = 0
        let start = monotonicNanos()
        for i in 0..<decodes {
            let tag = pool[i & 1_023]
            if let sgtin = SGTIN96(high: tag.leadingWord, low: UInt32(truncatingIfNeeded: tag.bits(at: 64, count: 32))) {
                checksum &+= sgtin.gtinValue &+ sgtin.serial
            }
        }
        let elapsed = monotonicNanos() - start
        consume(checksum)
        return Double(elapsed) / Double(decodes)
    }

    /// The baseline: the general TDS decoder, to a GTIN-14 string.
    func sgtin96GeneralNanos() -> Double {
        let tags = SyntheticTags()
        let pool = (0..<1_024).map { tags.tag(serial: UInt64($0) &* 2_654_435_761) }
        let n = max(1_000, decodes / 100)
        var checksum = 0
        let start = monotonicNanos()
        for i in 0..<n {
            if case .tag(let epc)? = try? EPC.decode(BenchTagBits(tag: pool[i & 1_023])) { checksum &+= epc.identity.gtin14?.utf8.count ?? 0 }
        }
        let elapsed = monotonicNanos() - start
        consume(checksum)
        return Double(elapsed) / Double(n)
    }

    // MARK: Matcher

    /// The directory's resident size and lookup times with `directorySize` customers and products.
    func matcher() -> (residentMiB: Double, buildSeconds: Double, credentialP50: Double, gtinP50: Double) {
        let before = ProcessStats.residentBytes()
        let start = monotonicNanos()
        let directory = Self.makeDirectory(size: directorySize)
        let buildSeconds = Double(monotonicNanos() - start) / 1e9
        let resident = Double(ProcessStats.residentBytes() - before) / 1_048_576
        var state: UInt64 = 0x1234_5678
        func random() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % directorySize
        }
        let credentials = (0..<65_536).map { _ in TagID(hex: Self.credential(random()))! }
        let gtins = (0..<65_536).map { _ in Self.gtin(random()) }
        // Per-lookup times from batches of 256 random probes: a clock read per lookup would cost more than the lookup.
        func p50(_ body: (Int) -> Int32?) -> Double {
            var perLookup: [Double] = []
            var found = 0
            for round in 0..<400 {
                let start = monotonicNanos()
                for i in 0..<256 where body((round * 256 + i) & 65_535) != nil { found += 1 }
                perLookup.append(Double(monotonicNanos() - start) / 256)
            }
            precondition(found == 400 * 256, "bench: a directory lookup missed a key it holds")
            perLookup.sort()
            return perLookup[perLookup.count / 2]
        }
        let credentialP50 = p50 { directory.customer(credential: credentials[$0]) }
        let gtinP50 = p50 { directory.product(gtin: gtins[$0]) }
        return (resident, buildSeconds, credentialP50, gtinP50)
    }

    /// Customer `i`'s tag credential: a 96-bit non-GS1 EPC, as loyalty key fobs carry.
    static func credential(_ i: Int) -> String { "E2801160600002" + hex(UInt64(i), digits: 10) }

    /// Product `i`'s GTIN-14 value.
    static func gtin(_ i: Int) -> UInt64 { 10_000_000_000_000 + UInt64(i) * 7 }

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    static func makeDirectory(size: Int) -> Directory {
        let customers = (0..<size).map { i in
            Directory.Customer(id: "C\(i)", token: "tok-\(hex(UInt64(i) &* 0x9E37_79B9, digits: 16))", firstName: "Name\(i % 997)",
                               tier: i % 50 == 0 ? "vip" : "regular", recognitionConsent: i % 10 != 0, credentials: [credential(i)])
        }
        let products = (0..<size).map { i in
            Directory.Product(gtin: String(gtin(i)), name: "Product \(i)", category: "category \(i % 200)")
        }
        return Directory(customers: customers, products: products)
    }

    // MARK: Codec

    /// Microseconds to encode a `presence.enter` of an item, as the publisher does for most events.
    func encodeMicros() -> Double {
        let codec = EventCodec()
        let payload = EventPayload.presenceEnter(Presence(
            zone: "floor", reader: "floor-1", antenna: 2, subject: .item, epc: "urn:epc:id:sgtin:0614141.812345.6789",
            gtin: SyntheticTags.gtin, product: "Blue Scarf", rssi: -55.5))
        let n = max(2_000, decodes / 200)
        var bytes = 0
        let start = monotonicNanos()
        for seq in 0..<n {
            let event = GatewayEvent(seq: UInt64(seq + 1), gateway: "gw-bench", store: "bench", ts: Timestamp(microseconds: 1_800_000_000_000_000 + UInt64(seq)), payload: payload)
            bytes &+= (try? codec.encode(event))?.body.count ?? 0
        }
        let elapsed = monotonicNanos() - start
        consume(bytes)
        return Double(elapsed) / Double(n) / 1_000
    }
}

/// A tag's bits for the general EPC decoder.
struct BenchTagBits: EPCBitSource {
    let tag: TagID
    var epcBitCount: Int { Int(tag.bitCount) }
    func epcBits(at offset: Int, count: Int) -> UInt64 { tag.bits(at: offset, count: count) }
}
