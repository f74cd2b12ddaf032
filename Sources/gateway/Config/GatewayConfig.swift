import Bus
import CRMStore
import Dashboard
import Foundation
import GatewayCore
import Matching
import POSIngest
import Simulator

/// The whole gateway configuration: one YAML file, one section per component.
///
/// Every error names its key path and the bad value; unknown keys are errors.
struct GatewayConfig: Sendable {
    /// `gateway:` — ids and the data folder.
    var gateway = GatewayIdentityConfig()
    /// `store:` — zones and company prefixes.
    var store = StoreLayoutConfig()
    /// `sources:` — readers and POS feeds.
    var sources: [SourceConfig] = []
    /// `matching:` — presence smoothing and rules.
    var matching = MatchingConfig()
    /// `bus:` — the ZeroMQ publisher and journal.
    var bus = BusConfig()
    /// `crm:` — the CRM store.
    var crm = CRMConfig()
    /// `dashboard:` — the staff dashboard.
    var dashboard = DashboardConfig()
    /// `simulator:` — the demo store.
    var simulator = SimulatorConfig()
    /// `pos:` — the POS listener, its ledger and drop folders.
    var pos = POSListenerConfig()
    /// `privacy:` — the token key.
    var privacy = PrivacyConfig()
    /// `segmentation:` — RFM, CLV, tiers and their schedule.
    var segmentation = SegmentationSettings()
    /// `log:` — log level.
    var logLevel = "info"
    /// The folder of the config file: relative paths in it are resolved against it.
    var baseDirectory = "."

    init() {}

    /// Reads and validates a config file.
    static func load(file: String) throws -> GatewayConfig {
        let root = try ConfigMap.load(file: file)
        var config = try GatewayConfig(root: root)
        config.baseDirectory = (file as NSString).deletingLastPathComponent
        if config.baseDirectory.isEmpty { config.baseDirectory = "." }
        return config
    }

    init(root: ConfigMap) throws {
        gateway = try root.decode("gateway")
        store = try root.decode("store")
        // Pattern values are checked by compiling them, so a bad filter fails at load, not by dropping every tag.
        _ = try EdgeFilter(layout: store)
        matching = try root.decode("matching")
        bus = try root.decode("bus")
        crm = try root.decode("crm")
        if let url = store.url {
            // `store.url` and `crm.url` are one setting under two names; two different values are a mistake.
            if let other = crm.url, other != url {
                throw ConfigError(.invalidValue, at: "store.url", "'\(StoreLocation.redact(url))' differs from crm.url; set only one of them")
            }
            try crm.use(url: url, key: "store.url")
        }
        dashboard = try root.decode("dashboard")
        simulator = try root.decode("simulator")
        pos = try root.decode("pos")
        privacy = try root.decode("privacy")
        segmentation = try root.decode("segmentation")
        if let log = try root.section("log") {
            logLevel = try log.value("level", default: logLevel)
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
                throw ConfigError(.invalidValue, at: log.path(of: "level"), "'\(logLevel)' is not a log level (trace, debug, info, notice, warning, error, critical)")
            }
            try log.finish()
        }
        sources = try root.mappings("sources", SourceConfig.init(config:)) ?? []
        try root.finish()
        try validateSources()
    }

    /// Checks what spans sections: unique source names, zones that exist.
    func validateSources() throws {
        var names = Set<String>()
        for (index, source) in sources.enumerated() {
            let path = source.path.isEmpty ? "sources[\(index)]" : source.path
            guard names.insert(source.name).inserted else {
                throw ConfigError(.invalidValue, at: "\(path).name", "'\(source.name)' is used by another source")
            }
            if source.kind == .reads {
                guard source.zone != nil || !source.antennas.isEmpty else {
                    throw ConfigError(.missingKey, at: "\(path).zone", "a reader needs a zone or an antennas map")
                }
                for zone in [source.zone].compactMap({ $0 }) + source.antennas.values.sorted() where store.zone(named: zone) == nil {
                    let known = store.zones.map(\.name).joined(separator: ", ")
                    throw ConfigError(.invalidValue, at: "\(path).\(source.zone == zone ? "zone" : "antennas")",
                                      "'\(zone)' is not a zone of the store (zones: \(known))")
                }
            }
        }
        guard sources.count <= Int(UInt16.max) else {
            throw ConfigError(.invalidValue, at: "sources", "too many sources (\(sources.count))")
        }
    }

    /// A file the config points at (seed CSVs), resolved against the config file's folder unless absolute.
    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path)
    }

    /// The data folder: runtime data is relative to the working directory, not to the config file.
    var dataDirectory: String { gateway.dataDir }

    /// A path under the data folder unless absolute.
    func dataPath(_ path: String) -> String {
        path.hasPrefix("/") ? path : (dataDirectory as NSString).appendingPathComponent(path)
    }
}
