import ArgumentParser
import GatewayCore

/// The gateway's command line.
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Real-time RFID and point-of-sale ingestion for a store.",
        discussion: """
            Readers and POS feeds stream into the gateway; it recognises consenting customers and tagged products, tracks who and what is in which zone, and publishes enriched events over ZeroMQ to the CRM store and the staff dashboard.

            Start with `gateway run`: it runs the simulated store of Config/gateway.yaml, no hardware needed.
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, ImportCommand.self, StoreCommand.self, TailCommand.self, DoctorCommand.self, DashboardCommand.self, UsersCommand.self, EPCCommand.self, BenchCommand.self, SegmentCommand.self, KeysCommand.self, ConsentCommand.self, EraseCommand.self, ExportCommand.self, PurgeCommand.self]
    )
}

/// Options every command that reads the config file shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The gateway's YAML config.", valueName: "path"))
    var config: String = "Config/gateway.yaml"

    @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error.", valueName: "level"))
    var logLevel: String?

    /// Loads the config, turning a problem into a clean exit with the key path.
    func load() throws -> GatewayConfig {
        do {
            var config = try GatewayConfig.load(file: config)
            if let logLevel { config.logLevel = logLevel }
            return config
        } catch let error as ConfigError {
            throw CLIError("\(config): \(error)")
        }
    }
}

/// A failure the CLI reports in one line and exits non-zero for.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
