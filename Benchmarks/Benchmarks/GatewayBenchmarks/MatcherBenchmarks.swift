import Benchmark
import GatewayCore
import Matching

/// The matcher's directory at a large store's scale: 1M customers and 1M products.
enum MatcherFixture {
    static let size = 1_000_000
    /// Built by the benchmarks' setup, once; read-only afterwards.
    nonisolated(unsafe) static var directory = Directory()
    nonisolated(unsafe) static var credentials: [TagID] = []
    nonisolated(unsafe) static var gtins: [UInt64] = []
    /// Item tags: what every tag new to a zone is looked up as first, and is not.
    nonisolated(unsafe) static var items: [TagID] = []

    /// Customer `i`'s tag credential (a 96-bit non-GS1 EPC, as loyalty key fobs carry).
    static func credential(_ i: Int) -> String { "E2801160600002" + hex(UInt64(i), digits: 10) }

    /// Product `i`'s GTIN-14 (not check-digit valid; the directory does not check it).
    static func gtin(_ i: Int) -> UInt64 { 10_000_000_000_000 + UInt64(i) * 7 }

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    static func build() {
        guard directory.customers.isEmpty else { return }
        let customers = (0..<size).map { i in
            // Tokens of 32 hex digits, as the gateway's tokenizer makes them.
            Directory.Customer(id: "C\(i)", token: (hex(UInt64(i) &* 0x9E37_79B9_7F4A_7C15, digits: 16) + hex(UInt64(i) &* 0xC2B2_AE3D_27D4_EB4F, digits: 16)).lowercased(),
                               firstName: "Name\(i % 997)",
                               tier: i % 50 == 0 ? "vip" : "regular", recognitionConsent: i % 10 != 0, credentials: [credential(i)])
        }
        let products = (0..<size).map { i in
            Directory.Product(gtin: String(gtin(i)), name: "Product \(i)", category: "category \(i % 200)")
        }
        directory = Directory(customers: customers, products: products)
        // Random probes, so lookups miss the cache as a real store's would.
        var state: UInt64 = 0x1234_5678
        credentials = (0..<65_536).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return TagID(hex: credential(Int(state >> 33) % size))!
        }
        items = (0..<65_536).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Fixtures.itemTag(serial: state >> 26)
        }
        gtins = (0..<65_536).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return gtin(Int(state >> 33) % size)
        }
    }
}

/// Directory lookups with 1M customers and 1M products loaded (peak resident memory shows the directory's size).
func registerMatcherBenchmarks() {
    let config = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions, .peakMemoryResident],
                                         scalingFactor: .mega, maxDuration: .seconds(3), maxIterations: 10,
                                         setup: { MatcherFixture.build() })

    Benchmark("Matcher customer(credential:), 1M+1M loaded", configuration: config) { benchmark in
        let directory = MatcherFixture.directory
        let probes = MatcherFixture.credentials
        var i = 0
        for _ in benchmark.scaledIterations {
            blackHole(directory.customer(credential: probes[i & 65_535]))
            i &+= 1
        }
    }

    Benchmark("Matcher customer(credential:) of an item tag (a miss), 1M+1M loaded", configuration: config) { benchmark in
        let directory = MatcherFixture.directory
        let probes = MatcherFixture.items
        var i = 0
        for _ in benchmark.scaledIterations {
            blackHole(directory.customer(credential: probes[i & 65_535]))
            i &+= 1
        }
    }

    Benchmark("Matcher product(gtin:), 1M+1M loaded", configuration: config) { benchmark in
        let directory = MatcherFixture.directory
        let probes = MatcherFixture.gtins
        var i = 0
        for _ in benchmark.scaledIterations {
            blackHole(directory.product(gtin: probes[i & 65_535]))
            i &+= 1
        }
    }
}
