// swift-tools-version:6.1
import PackageDescription

// The gateway's micro-benchmarks (ordo-one/benchmark): `swift package benchmark` here, or `make bench` at the top.
// A package of its own so the main package never depends on the benchmark tooling.
let package = Package(
    name: "GatewayBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "rfid-pos-gateway", path: ".."),
        // The malloc interposer counts allocations without jemalloc; nothing to install.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "GatewayBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "GatewayCore", package: "rfid-pos-gateway"),
                .product(name: "EPC", package: "rfid-pos-gateway"),
                .product(name: "Matching", package: "rfid-pos-gateway"),
                .product(name: "Bus", package: "rfid-pos-gateway"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Benchmarks/GatewayBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The hot paths on their own, for instruction counts under valgrind (`callgrind.sh`).
        .executableTarget(
            name: "CallgrindHarness",
            dependencies: [
                .product(name: "GatewayCore", package: "rfid-pos-gateway"),
                .product(name: "EPC", package: "rfid-pos-gateway"),
                .product(name: "Matching", package: "rfid-pos-gateway"),
            ],
            path: "Harness/CallgrindHarness",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
