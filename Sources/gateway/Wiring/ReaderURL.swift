import ESCPOS
import GatewayCore
import LLRP
import Logging
import POSIngest
import POSLog
import POSWebhook
import SerialM100
import USBHID

/// A reader added on the command line: `--reader URL [--zone NAME]`.
struct ReaderArgument: Equatable {
    var url: String
    var zone: String

    /// Pairs each `--reader` with the `--zone` that follows it (before the next `--reader`).
    static func parse(arguments: [String]) -> [ReaderArgument] {
        var readers: [ReaderArgument] = []
        var index = 0
        func value(at i: Int, of flag: String) -> String? {
            let argument = arguments[i]
            if argument.hasPrefix(flag + "=") { return String(argument.dropFirst(flag.count + 1)) }
            return argument == flag && i + 1 < arguments.count ? arguments[i + 1] : nil
        }
        while index < arguments.count {
            if let url = value(at: index, of: "--reader") {
                readers.append(ReaderArgument(url: url, zone: "entrance"))
            } else if let zone = value(at: index, of: "--zone"), !readers.isEmpty {
                readers[readers.count - 1].zone = zone
            }
            index += 1
        }
        return readers
    }

    /// The source config this reader becomes; the URL's scheme names the driver.
    func sourceConfig(index: Int) throws -> SourceConfig {
        guard let schemeEnd = url.firstIndex(of: ":"), schemeEnd != url.startIndex else {
            throw CLIError("--reader '\(url)': expected a URL such as llrp://HOST[:PORT], usbhid://VID:PID or m100:PATH")
        }
        let scheme = String(url[..<schemeEnd])
        return SourceConfig(name: "cli-reader-\(index + 1)", driver: scheme, zone: zone, options: ["url": url], path: "--reader \(url)")
    }
}

/// The drivers this build has, by the name a config or a `--reader` URL uses.
enum DriverCatalog {
    /// Drivers that only the simulator provides.
    static let simulated: Set<String> = ["simulator"]

    /// Hardware readers: each reads its own settings from the source's `options`.
    static let readers: [String: @Sendable (SourceConfig, Logger) throws -> any ReadSource] = [
        "llrp": { LLRPReader(configuration: try LLRPReaderConfig(source: $0), logger: $1) },
        "usbhid": { USBHIDReader(configuration: try USBHIDReaderConfig(source: $0), logger: $1) },
        "m100": { M100Reader(configuration: try M100ReaderConfig(source: $0), logger: $1) },
    ]

    /// POS feeds that run on their own (a printer tap, a drop folder): each reads its settings from `options`.
    static let pointsOfSale: [String: @Sendable (SourceConfig, Logger) throws -> any TransactionSource] = [
        "escpos": { ESCPOSTap(configuration: try ESCPOSTapConfig(source: $0), logger: $1) },
    ]

    /// POS formats served by the POS listener (see `Gateway+POS.swift`), by driver name.
    static let listenerFormats: [String: @Sendable (SourceConfig) throws -> any POSDocumentFormat] = [
        "poslog": { try POSLogFormat(source: $0) },
        "square": { try SquareWebhookFormat(source: $0) },
        "shopify": { try ShopifyWebhookFormat(source: $0) },
    ]

    /// Every driver name this build accepts.
    static var available: [String] {
        simulated.union(readers.keys).union(pointsOfSale.keys).union(listenerFormats.keys).sorted()
    }

    /// The drivers a config's hardware sources need, built (and their settings checked) before anything starts.
    struct Drivers {
        /// Reader drivers by source name.
        var readers: [String: any ReadSource] = [:]
        /// Self-running POS drivers by source name.
        var pointsOfSale: [String: any TransactionSource] = [:]
        /// Listener formats by source name.
        var listenerFormats: [String: any POSDocumentFormat] = [:]
    }

    /// Builds the driver of every hardware source; a source naming a driver this build lacks, or of the
    /// wrong kind, or with bad settings, fails here, before anything starts.
    static func drivers(for sources: [SourceConfig], logger: Logger) throws -> Drivers {
        var drivers = Drivers()
        for source in sources where !simulated.contains(source.driver) {
            switch source.kind {
            case .reads:
                guard let make = readers[source.driver] else { throw unknown(source) }
                drivers.readers[source.name] = try make(source, logger)
            case .transactions:
                if let make = pointsOfSale[source.driver] {
                    drivers.pointsOfSale[source.name] = try make(source, logger)
                } else if let make = listenerFormats[source.driver] {
                    drivers.listenerFormats[source.name] = try make(source)
                } else {
                    throw unknown(source)
                }
            }
        }
        return drivers
    }

    private static func unknown(_ source: SourceConfig) -> CLIError {
        let names = source.kind == .reads ? simulated.union(readers.keys) : simulated.union(pointsOfSale.keys).union(listenerFormats.keys)
        return CLIError("\(source.path): no \(source.kind == .reads ? "reader" : "POS") driver '\(source.driver)' in this build (available for kind \(source.kind.rawValue): \(names.sorted().joined(separator: ", ")))")
    }
}
