// swift-tools-version:6.1
import PackageDescription

/// Swift 6 language mode with strict concurrency everywhere.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "rfid-pos-gateway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gateway", targets: ["gateway"]),
        .library(name: "GatewayCore", targets: ["GatewayCore"]),
        .library(name: "EPC", targets: ["EPC"]),
        .library(name: "Matching", targets: ["Matching"]),
        .library(name: "Bus", targets: ["Bus"]),
        .library(name: "CRMStore", targets: ["CRMStore"]),
        // The parsers of outside bytes, as products so the fuzz package (Fuzz/) can link them.
        .library(name: "LLRP", targets: ["LLRP"]),
        .library(name: "SerialM100", targets: ["SerialM100"]),
        .library(name: "USBHID", targets: ["USBHID"]),
        .library(name: "POSIngest", targets: ["POSIngest"]),
        .library(name: "POSLog", targets: ["POSLog"]),
        .library(name: "POSWebhook", targets: ["POSWebhook"]),
        .library(name: "ESCPOS", targets: ["ESCPOS"]),
        .library(name: "FuzzEntryPoints", targets: ["FuzzEntryPoints"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // C shims: thin system-library targets.
        .systemLibrary(
            name: "CZeroMQ",
            path: "Sources/CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .systemLibrary(
            name: "CLibUSB",
            path: "Sources/CLibUSB",
            pkgConfig: "libusb-1.0",
            providers: [.apt(["libusb-1.0-0-dev"])]
        ),
        // Spin-wait hints and fences for the pipeline thread and its rings; header only.
        .systemLibrary(
            name: "CGatewayCore",
            path: "Sources/CGatewayCore"
        ),

        // The domain core and the standards it leans on.
        .target(
            name: "EPC",
            path: "Sources/EPC",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GatewayCore",
            dependencies: [
                "CGatewayCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/GatewayCore",
            swiftSettings: swiftSettings
        ),

        // Drivers: the edge. Each turns device bytes into reads or transactions.
        .target(
            name: "Simulator",
            dependencies: ["GatewayCore", "EPC", .product(name: "Logging", package: "swift-log")],
            path: "Drivers/Simulator",
            swiftSettings: swiftSettings
        ),

        .target(
            name: "LLRP",
            dependencies: [
                "GatewayCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Drivers/LLRP",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "USBHID",
            dependencies: ["GatewayCore", "CLibUSB", .product(name: "Logging", package: "swift-log")],
            path: "Drivers/USBHID",
            swiftSettings: swiftSettings
        ),
        // The raw tty the serial drivers share.
        .target(
            name: "TTY",
            path: "Drivers/TTY",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SerialM100",
            dependencies: ["GatewayCore", "TTY", .product(name: "Logging", package: "swift-log")],
            path: "Drivers/SerialM100",
            swiftSettings: swiftSettings
        ),
        // POS feeds: the shared HTTP listener and idempotency ledger, then one target per format.
        .target(
            name: "POSIngest",
            dependencies: [
                "GatewayCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Drivers/POSIngest",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "POSLog",
            dependencies: ["GatewayCore", "POSIngest", .product(name: "Logging", package: "swift-log")],
            path: "Drivers/POSLog",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "POSWebhook",
            dependencies: [
                "GatewayCore", "POSIngest",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                // Square's order webhooks carry only a summary; the order is fetched from the Orders API.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Drivers/POSWebhook",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ESCPOS",
            dependencies: ["GatewayCore", "TTY", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")],
            path: "Drivers/ESCPOS",
            swiftSettings: swiftSettings
        ),
        // Test support: an LLRP reader emulator speaking the reader side of the protocol on loopback.
        .target(
            name: "LLRPEmulator",
            dependencies: [
                "LLRP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/Support/LLRPEmulator",
            swiftSettings: swiftSettings
        ),

        // Test support: the seeded generator every property test draws from.
        .target(
            name: "SeededRandom",
            path: "Tests/Support/SeededRandom",
            swiftSettings: swiftSettings
        ),

        // Left to right: Matching, Bus, CRMStore.
        .target(
            name: "Matching",
            dependencies: ["GatewayCore", "EPC", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Matching",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Bus",
            dependencies: ["GatewayCore", "CZeroMQ", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Bus",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CRMStore",
            dependencies: [
                "GatewayCore", "Bus", "Segmentation",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/CRMStore",
            swiftSettings: swiftSettings
        ),

        // Segmentation: RFM, BG/NBD + Gamma-Gamma CLV, tiers. Pure computation.
        .target(
            name: "Segmentation",
            path: "Sources/Segmentation",
            swiftSettings: swiftSettings
        ),

        // The staff dashboard: a bus subscriber feeding browsers.
        .target(
            name: "Dashboard",
            dependencies: [
                "GatewayCore", "Bus", "CRMStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Dashboard",
            swiftSettings: swiftSettings
        ),

        // One entry point per parser of outside bytes: the fuzz targets (Fuzz/Package.swift) and FuzzRegressionTests call them.
        .target(
            name: "FuzzEntryPoints",
            dependencies: [
                "GatewayCore", "EPC", "Bus", "Matching", "LLRP", "SerialM100", "USBHID", "POSIngest", "POSLog", "POSWebhook", "ESCPOS",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Fuzz/EntryPoints",
            swiftSettings: swiftSettings
        ),

        // The CLI and the wiring.
        .executableTarget(
            name: "gateway",
            dependencies: [
                "GatewayCore", "EPC", "Simulator", "LLRP", "USBHID", "SerialM100", "POSIngest", "POSLog", "POSWebhook", "ESCPOS",
                "Matching", "Bus", "CRMStore", "Segmentation", "Dashboard",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Sources/gateway",
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "GatewayCoreTests", dependencies: ["GatewayCore", .product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
        .testTarget(name: "EPCTests", dependencies: ["EPC", "SeededRandom"], swiftSettings: swiftSettings),
        .testTarget(name: "MatchingTests", dependencies: ["Matching", "GatewayCore", "EPC", "SeededRandom", .product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
        .testTarget(name: "BusTests", dependencies: ["Bus", "GatewayCore", "SeededRandom", .product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
        .testTarget(
            name: "CRMStoreTests",
            dependencies: [
                "CRMStore", "GatewayCore", "Segmentation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LLRPTests",
            dependencies: ["LLRP", "LLRPEmulator", "GatewayCore", "Matching", "SeededRandom", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "USBHIDTests",
            dependencies: ["USBHID", "GatewayCore", "Matching", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SerialM100Tests",
            dependencies: ["SerialM100", "GatewayCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DashboardTests",
            dependencies: [
                "Dashboard", "GatewayCore", "Bus", "CRMStore", "Segmentation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "POSLogTests",
            dependencies: [
                "POSLog", "POSIngest", "GatewayCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "POSWebhookTests",
            dependencies: [
                "POSWebhook", "POSIngest", "GatewayCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ESCPOSTests", dependencies: ["ESCPOS", "GatewayCore", .product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation", "SeededRandom"], swiftSettings: swiftSettings),
        // Replays Fuzz/Corpus and Fuzz/Regressions through the fuzz entry points.
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzEntryPoints"], swiftSettings: swiftSettings),
        .testTarget(name: "gatewayTests", dependencies: ["gateway", "GatewayCore"], swiftSettings: swiftSettings),
    ]
)
