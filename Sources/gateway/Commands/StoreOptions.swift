import ArgumentParser
import CRMStore
import Foundation
import Logging

/// `--db` and the config, for the commands that work on the gateway's own CRM store file
/// (segmentation, consent, erasure, export, purge, key rotation).
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The CRM store: sqlite:PATH or a plain path (default: crm.db from the config).", valueName: "url"))
    var db: String?

    @OptionGroup var options: ConfigOptions

    func validate() throws {
        if let db { _ = try SegmentCommand.sqlitePath(db) }
    }

    /// The config (the defaults when only `--db` is given and the default config file is absent).
    func loadConfig() throws -> GatewayConfig {
        if db != nil, options.config == "Config/gateway.yaml", !FileManager.default.fileExists(atPath: options.config) {
            return GatewayConfig()
        }
        return try options.load()
    }

    /// A logger at `--log-level`, quiet (warnings) by default: these commands print their own results.
    func logger(label: String) -> Logger {
        makeLogger(label: label, level: options.logLevel ?? "warning")
    }

    /// The existing store's file; a missing file is an error, never a new empty store.
    func path(_ config: GatewayConfig) throws -> String {
        let path = try db.map(SegmentCommand.sqlitePath) ?? config.crm.db
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no CRM store there (import customers first)") }
        return path
    }

    /// Opens the existing store.
    func open(_ config: GatewayConfig, logger: Logger) throws -> CRMDatabase {
        try CRMDatabase(path: path(config), logger: logger)
    }
}
