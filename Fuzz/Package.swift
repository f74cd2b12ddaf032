// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets, one per parser of outside bytes. A package of its own, because every Swift
// module it builds is instrumented for coverage (`-sanitize=fuzzer`), which the gateway itself must not be.
// Build and run with `make fuzz` (FUZZ_SECONDS per target), or one target by hand:
//   swift build -c release --package-path Fuzz --scratch-path Fuzz/.build \
//     -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library
//   Fuzz/.build/release/fuzz-llrp Fuzz/Corpus/llrp -max_total_time=60
// The entry points live in the main package (target FuzzEntryPoints), so Tests/FuzzRegressionTests
// replays the corpus and every regression input through the same code in CI.
let targets = ["llrp", "m100", "hid", "epc-hex", "epc-uri", "bus-codec", "journal", "config", "poslog", "webhook", "escpos"]

let package = Package(
    name: "GatewayFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "rfid-pos-gateway", path: ".."),
    ],
    targets: targets.map { name in
        .executableTarget(
            name: "fuzz-\(name)",
            dependencies: [.product(name: "FuzzEntryPoints", package: "rfid-pos-gateway")],
            path: "Targets/\(name)",
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    }
)
