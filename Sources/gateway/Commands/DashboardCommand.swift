import ArgumentParser
import Bus
import CRMStore
import Dashboard
import Foundation
import GatewayCore
import Logging
import ServiceLifecycle

/// `gateway dashboard`: the staff dashboard alone, subscribed to one or more gateways' buses.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve the staff dashboard alone, subscribed to gateways' buses.",
        discussion: """
            Staff users and the Segments page come from the CRM store (--db). With --replay the dashboard fetches the events it missed from the gateways' journals. Outside a gateway the dashboard sees only the bus, so ring fill and store lag are not shown.
              gateway dashboard --connect tcp://127.0.0.1:5556 --replay tcp://127.0.0.1:5557 --listen 127.0.0.1:8080
            """
    )

    @Option(name: .long, help: ArgumentHelp("A gateway's bus, e.g. tcp://127.0.0.1:5556. Repeatable.", valueName: "url"))
    var connect: [String] = []

    @Option(name: .long, help: ArgumentHelp("The replay endpoint of the --connect in the same position (e.g. tcp://127.0.0.1:5557): missed events are fetched from the gateway's journal. Repeatable.", valueName: "url"))
    var replay: [String] = []

    @Option(name: .long, help: ArgumentHelp("Where to serve the dashboard (HOST:PORT).", valueName: "host:port"))
    var listen: String = "127.0.0.1:8080"

    @Flag(name: .long, help: "Allow a listen address other than loopback.")
    var allowNonLoopback = false

    @Option(name: .long, help: ArgumentHelp("The CRM store's SQLite file: staff users, tiers, segments and the CLV ranking.", valueName: "path"))
    var db: String = ".gateway/crm.sqlite"

    @Option(name: .long, help: ArgumentHelp("Log level.", valueName: "level"))
    var logLevel: String = "info"

    @Option(name: .long, help: ArgumentHelp("Subscribe over CURVE with the keys of `gateway keys generate --out DIR`: DIR/client.key, DIR/client.pub and DIR/server.pub.", valueName: "dir"))
    var curve: String?

    func validate() throws {
        if connect.isEmpty { throw ValidationError("give at least one --connect tcp://HOST:PORT") }
        if !replay.isEmpty, replay.count != connect.count {
            throw ValidationError("give one --replay per --connect, in the same order (\(connect.count) --connect, \(replay.count) --replay)")
        }
        for (flag, endpoints) in [("--connect", connect), ("--replay", replay)] {
            for endpoint in endpoints {
                if let problem = BusConfig.problem(endpoint: endpoint) { throw ValidationError("\(flag) \(endpoint): \(problem)") }
            }
        }
        do {
            _ = try ListenAddress.parse(listen, path: "--listen")
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() async throws {
        let logger = makeLogger(label: "gateway.dashboard", level: logLevel)
        var configuration = DashboardConfig()
        do {
            let address = try ListenAddress.parse(listen, path: "--listen")
            (configuration.host, configuration.port) = (address.host, address.port)
            configuration.allowNonLoopback = allowNonLoopback
            try configuration.validate(path: "--listen")
        } catch {
            throw CLIError("\(error)")
        }
        let curveClient: BusCurveClient?
        do {
            curveClient = try curve.map { try BusCurveClient(directory: $0) }
        } catch {
            throw CLIError("--curve \(curve ?? ""): \(error)")
        }
        let database = try CRMDatabase(path: db, logger: logger)
        // With replay, gaps are filled from the journals; each gateway starts live (a screen wants now, not history).
        let subscriber: any EventReceiver = replay.isEmpty
            ? try EventSubscriber(endpoints: connect, curve: curveClient, logger: logger)
            : try RecoveringSubscriber(sources: zip(connect, replay).map { BusSource(bus: $0, replay: $1) }, start: .live,
                                       curve: curveClient, logger: logger)
        let setup = DashboardService.Setup(configuration: configuration, source: subscriber, database: database,
                                           dataDirectory: (db as NSString).deletingLastPathComponent)
        let metrics = MetricsExporter()
        metrics.bootstrapMetricsSystem()
        let service: DashboardService
        do {
            service = try DashboardService(setup: setup, metrics: metrics, logger: logger)
        } catch {
            throw CLIError("\(error)")
        }
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
