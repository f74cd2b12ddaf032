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

    /// Time and Swift heap allocations per read of one way of decoding.
    struct DecodeFigure {
        /// Nanoseconds per read.
        var nanos: Double
        /// Allocations per read, `nil` where they cannot be counted (see ``AllocationCounter``).
        var allocationsPerRead: Double?
    }

    /// Runs `decode` over a spread of inputs: timed first, then once more with allocations counted
    /// (the counter is out of the way while timing).
    private func measureDecode<Input>(_ inputs: [Input], reads: Int, _ decode: (Input) -> UInt64) -> DecodeFigure {
        precondition(inputs.count == 1_024)
        var checksum: UInt64 = 0
        let start = monotonicNanos()
        for i in 0..<reads { checksum &+= decode(inputs[i & 1_023]) }
        let elapsed = monotonicNanos() - start
        let counted = max(1_024, min(reads, 100_000))
        let allocations = AllocationCounter.count {
            for i in 0..<counted { checksum &+= decode(inputs[i & 1_023]) }
        }
        consume(checksum)
        return DecodeFigure(nanos: Double(elapsed) / Double(reads), allocationsPerRead: allocations.map { Double($0) / Double(counted) })
    }

    /// 1,024 item tags with serials spread so the branch predictor cannot learn one value.
    private static func itemTags() -> [TagID] {
        let tags = SyntheticTags()
        return (0..<1_024).map { tags.tag(serial: UInt64($0) &* 2_654_435_761) }
    }

    /// SGTIN-96 → GTIN + serial on the pipeline's register fast path, from the read's bits.
    func sgtin96FastPath() -> DecodeFigure {
        measureDecode(Self.itemTags(), reads: decodes) { tag in
            guard let sgtin = SGTIN96(high: tag.leadingWord, low: UInt32(truncatingIfNeeded: tag.bits(at: 64, count: 32))) else { return 0 }
            return sgtin.gtinValue &+ sgtin.serial
        }
    }

    /// SGTIN-96 hex text → GTIN + serial with ``SGTIN96/init(hex:)``: the same fast path from the hex digits.
    func sgtin96HexFastPath() -> DecodeFigure {
        measureDecode(Self.itemTags().map(\.hex), reads: decodes) { hex in
            guard let sgtin = SGTIN96(hex: hex) else { return 0 }
            return sgtin.gtinValue &+ sgtin.serial
        }
    }

    /// The baseline: hex → the general TDS decoder → the pure-identity URI → parsed back → GTIN-14 and serial as numbers.
    func sgtin96URIBaseline() -> DecodeFigure {
        measureDecode(Self.itemTags().map(\.hex), reads: max(10_000, decodes / 200)) { hex in
            guard case .tag(let tag)? = try? EPC.decode(hex: hex),
                  let identity = try? EPCIdentity(pureIdentityURI: tag.identity.pureIdentityURI),
                  let gtin = identity.gtin14.flatMap({ UInt64($0) }), identity.components.count == 3,
                  let serial = UInt64(identity.components[2]) else { return 0 }
            return gtin &+ serial
        }
    }

    /// The general TDS decoder from the read's bits, to a GTIN-14 string.
    func sgtin96GeneralNanos() -> Double {
        measureDecode(Self.itemTags(), reads: max(10_000, decodes / 100)) { tag in
            guard case .tag(let epc)? = try? EPC.decode(BenchTagBits(tag: tag)) else { return 0 }
            return UInt64(epc.identity.gtin14?.utf8.count ?? 0)
        }.nanos
    }

    // MARK: Matcher

    /// The matcher's figures: the compact ``Directory`` beside ``DictionaryDirectory``, the first design, on the same data.
    struct MatcherFigures {
        var residentMiB = 0.0
        var allocatedMiB = 0.0
        var buildSeconds = 0.0
        var credentialP50 = 0.0
        var missP50 = 0.0
        var gtinP50 = 0.0
        var baselineResidentMiB = 0.0
        var baselineBuildSeconds = 0.0
        var baselineCredentialP50 = 0.0
        var baselineGtinP50 = 0.0
    }

    /// Resident bytes once the allocator has handed its free pages back, so a delta counts what is still in use.
    private static func residentAfterTrim() -> Int {
        mallocTrim?(0)
        return ProcessStats.residentBytes()
    }

    /// glibc's `malloc_trim`, which the Glibc module does not import; `nil` on another C library.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()

    /// Both directories' resident size and lookup times with `directorySize` customers and products.
    func matcher() -> MatcherFigures {
        var figures = MatcherFigures()
        let base = Self.residentAfterTrim()
        var start = monotonicNanos()
        // The inputs are temporaries: a running gateway drops its master data once the directory is built.
        let directory = Directory(customers: Self.makeCustomers(size: directorySize), products: Self.makeProducts(size: directorySize))
        figures.buildSeconds = Double(monotonicNanos() - start) / 1e9
        let compact = Self.residentAfterTrim()
        figures.residentMiB = Double(compact - base) / 1_048_576
        figures.allocatedMiB = Double(directory.allocatedBytes) / 1_048_576
        start = monotonicNanos()
        let baseline = DictionaryDirectory(customers: Self.makeCustomers(size: directorySize), products: Self.makeProducts(size: directorySize))
        figures.baselineBuildSeconds = Double(monotonicNanos() - start) / 1e9
        figures.baselineResidentMiB = Double(Self.residentAfterTrim() - compact) / 1_048_576

        var state: UInt64 = 0x1234_5678
        func random() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % directorySize
        }
        let credentials = (0..<65_536).map { _ in TagID(hex: Self.credential(random()))! }
        let gtins = (0..<65_536).map { _ in Self.gtin(random()) }
        let tags = SyntheticTags()
        let items = (0..<65_536).map { _ in tags.tag(serial: UInt64(random())) }
        // Per-lookup times from batches of 256 random probes: a clock read per lookup would cost more than the lookup.
        func p50(expectFound: Bool, _ body: (Int) -> Int32?) -> Double {
            var perLookup: [Double] = []
            var found = 0
            for round in 0..<400 {
                let start = monotonicNanos()
                for i in 0..<256 where body((round * 256 + i) & 65_535) != nil { found += 1 }
                perLookup.append(Double(monotonicNanos() - start) / 256)
            }
            precondition(found == (expectFound ? 400 * 256 : 0), "bench: a directory lookup gave a wrong answer")
            perLookup.sort()
            return perLookup[perLookup.count / 2]
        }
        figures.credentialP50 = p50(expectFound: true) { directory.customer(credential: credentials[$0]) }
        figures.baselineCredentialP50 = p50(expectFound: true) { baseline.customer(credential: credentials[$0]) }
        // What every item tag new to a zone costs: it is looked up as a credential first, and is none.
        figures.missP50 = p50(expectFound: false) { directory.customer(credential: items[$0]) }
        figures.gtinP50 = p50(expectFound: true) { directory.product(gtin: gtins[$0]) }
        figures.baselineGtinP50 = p50(expectFound: true) { baseline.product(gtin: gtins[$0]) }
        precondition(Self.sameAnswers(directory, baseline, probes: credentials.prefix(1_000)), "bench: the directory and its baseline disagree")
        withExtendedLifetime((directory, baseline)) {}
        return figures
    }

    /// Whether both directories resolve the probes to the same customer with the same token.
    private static func sameAnswers(_ directory: Directory, _ baseline: DictionaryDirectory, probes: ArraySlice<TagID>) -> Bool {
        probes.allSatisfy { tag in
            let a = directory.customer(credential: tag)
            let b = baseline.customer(credential: tag)
            return a == b && a.map { directory.token(of: $0) == baseline.customers[Int($0)].token } ?? true
        }
    }

    /// Customer `i`'s tag credential: a 96-bit non-GS1 EPC, as loyalty key fobs carry.
    static func credential(_ i: Int) -> String { "E2801160600002" + hex(UInt64(i), digits: 10) }

    /// Product `i`'s GTIN-14 value.
    static func gtin(_ i: Int) -> UInt64 { 10_000_000_000_000 + UInt64(i) * 7 }

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// Customers as the CRM hands them over: tokens of 32 hex digits, as ``CustomerTokenizer`` makes them.
    static func makeCustomers(size: Int) -> [Directory.Customer] {
        (0..<size).map { i in
            let token = hex(UInt64(i) &* 0x9E37_79B9_7F4A_7C15, digits: 16) + hex(UInt64(i) &* 0xC2B2_AE3D_27D4_EB4F, digits: 16)
            return Directory.Customer(id: "C\(i)", token: token.lowercased(), firstName: "Name\(i % 997)",
                                      tier: i % 50 == 0 ? "vip" : "regular", recognitionConsent: i % 10 != 0, credentials: [credential(i)])
        }
    }

    static func makeProducts(size: Int) -> [Directory.Product] {
        (0..<size).map { i in
            Directory.Product(gtin: String(gtin(i)), name: "Product \(i)", category: "category \(i % 200)")
        }
    }

    // MARK: Codec

    /// Time and Swift allocations per event, one way.
    struct CodecFigure {
        /// Microseconds per event.
        var micros: Double
        /// Allocations per event; `nil` where they cannot be counted.
        var allocations: Double?
    }

    /// Encoding a `presence.enter` of an item, as the publisher does for most events, and decoding it
    /// back, as every subscriber does: through `EventCodec`, and through Foundation's `JSONEncoder` and
    /// `JSONDecoder` as the baseline.
    func codec() -> (encode: CodecFigure, decode: CodecFigure, foundationEncode: CodecFigure, foundationDecode: CodecFigure) {
        let codec = EventCodec()
        let payload = EventPayload.presenceEnter(Presence(
            zone: "floor", reader: "floor-1", antenna: 2, subject: .item, epc: "urn:epc:id:sgtin:0614141.812345.6789",
            gtin: SyntheticTags.gtin, product: "Blue Scarf", rssi: -55.5))
        func event(_ seq: Int) -> GatewayEvent {
            GatewayEvent(seq: UInt64(seq + 1), gateway: "gw-bench", store: "bench", ts: Timestamp(microseconds: 1_800_000_000_000_000 + UInt64(seq)),
                         payload: payload)
        }
        let n = max(2_000, decodes / 200)
        var checksum = 0
        func measure(_ work: (Int) -> Int) -> CodecFigure {
            let start = monotonicNanos()
            for seq in 0..<n { checksum &+= work(seq) }
            let micros = Double(monotonicNanos() - start) / Double(n) / 1_000
            let allocations = AllocationCounter.count { for seq in 0..<100 { checksum &+= work(seq) } }
            return CodecFigure(micros: micros, allocations: allocations.map { Double($0) / 100 })
        }
        let encoded = try! codec.encode(event(0))
        let topic = Array(encoded.topic.utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let decoder = JSONDecoder()
        let body = Data(encoded.body)
        let figures = (
            encode: measure { (try? codec.encode(event($0)))?.body.count ?? 0 },
            decode: measure { _ in Int(truncatingIfNeeded: (try? codec.decode(topic: topic, body: encoded.body))?.seq ?? 0) },
            foundationEncode: measure { (try? encoder.encode(event($0)))?.count ?? 0 },
            foundationDecode: measure { _ in Int(truncatingIfNeeded: (try? decoder.decode(GatewayEvent.self, from: body))?.seq ?? 0) })
        consume(checksum)
        return figures
    }
}

/// A tag's bits for the general EPC decoder.
struct BenchTagBits: EPCBitSource {
    let tag: TagID
    var epcBitCount: Int { Int(tag.bitCount) }
    func epcBits(at offset: Int, count: Int) -> UInt64 { tag.bits(at: offset, count: count) }
}
