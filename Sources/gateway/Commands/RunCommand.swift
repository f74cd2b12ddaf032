import ArgumentParser
import Bus
import Foundation
import GatewayCore
import Logging

/// `gateway run`: the whole gateway.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the gateway: sources, pipeline, bus, and the embedded CRM store.",
        discussion: """
            With the default config this is the simulated store: three simulated readers, a simulated till, loyalty members walking in, and the CRM store in .gateway/crm.sqlite. SIGINT or SIGTERM stops it gracefully: drivers stop, the rings drain, the bus and the store flush.

            --reader adds a reader for a quick trial, placed in the --zone that follows it (default entrance):
              gateway run --no-simulator --reader llrp://192.0.2.10 --zone entrance
            """
    )

    @OptionGroup var options: ConfigOptions

    @Flag(name: .long, help: "Run the configured store without the simulated readers and till.")
    var noSimulator = false

    @Option(name: .long, help: ArgumentHelp("Add a reader by URL (llrp://HOST[:PORT], usbhid://VID:PID, m100:PATH?baud=N). Repeatable.", valueName: "url"))
    var reader: [String] = []

    @Option(name: .long, help: ArgumentHelp("Zone of the --reader before it (default: entrance).", valueName: "name"))
    var zone: [String] = []

    @Option(name: .long, help: ArgumentHelp("The CRM store's SQLite file (default: crm.db from the config).", valueName: "path"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("Seconds between live counter lines on stderr; 0 turns them off.", valueName: "seconds"))
    var statsInterval: Double = 5

    @Option(name: .long, help: ArgumentHelp("Encrypt the bus with the keys of `gateway keys generate --out DIR`: serve with DIR/server.key, allow DIR/client.pub (replaces bus.curve).", valueName: "dir"))
    var curve: String?

    func run() async throws {
        var config = try options.load()
        if noSimulator { config.simulator.enabled = false }
        if let db { config.crm.db = db }
        if let curve {
            do {
                config.bus.curve = try BusCurveServer(directory: curve)
            } catch {
                throw CLIError("--curve \(curve): \(error)")
            }
        }
        let readers = ReaderArgument.parse(arguments: Array(CommandLine.arguments.dropFirst()))
        for (index, reader) in readers.enumerated() {
            guard config.store.zone(named: reader.zone) != nil else {
                throw CLIError("--zone '\(reader.zone)': not a zone of the store (zones: \(config.store.zones.map(\.name).joined(separator: ", ")))")
            }
            config.sources.append(try reader.sourceConfig(index: index))
        }
        let logger = makeLogger(label: "gateway", level: config.logLevel)
        let gateway: Gateway
        do {
            gateway = try Gateway(config: config, statsInterval: statsInterval > 0 ? .milliseconds(Int64(statsInterval * 1_000)) : nil, logger: logger)
        } catch let error as CLIError {
            throw error
        } catch let error as ConfigError {
            throw CLIError("\(options.config): \(error)")
        } catch {
            throw CLIError("cannot start: \(error)")
        }
        gateway.reloadOnHangup(file: options.config, fixedLogLevel: options.logLevel)
        try await gateway.run()
    }
}

/// The logger every command hands to the libraries: one line per message on standard error.
func makeLogger(label: String, level: String) -> Logger {
    LiveLogLevel.set(Logger.Level(rawValue: level) ?? .info)
    LoggingSystem.bootstrap { label in LiveLevelLogHandler(inner: StreamLogHandler.standardError(label: label)) }
    return Logger(label: label)
}
