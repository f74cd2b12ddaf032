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
            Staff users and tier counts come from the CRM store (--db). Outside a gateway the dashboard sees only the bus, so ring fill and store lag are not shown.
              gateway dashboard --connect tcp://127.0.0.1:5556 --listen 127.0.0.1:8080
            """
    )

    @Option(name: .long, help: ArgumentHelp("A gateway's bus, e.g. tcp://127.0.0.1:5556. Repeatable.", valueName: "url"))
    var connect: [String] = []

    @Option(name: .long, help: ArgumentHelp("Where to serve the dashboard (HOST:PORT).", valueName: "host:port"))
    var listen: String = "127.0.0.1:8080"

    @Flag(name: .long, help: "Allow a listen address other than loopback.")
    var allowNonLoopback = false

    @Option(name: .long, help: ArgumentHelp("The CRM store's SQLite file: staff users and tier counts.", valueName: "path"))
    var db: String = ".gateway/crm.sqlite"

    @Option(name: .long, help: ArgumentHelp("Log level.", valueName: "level"))
    var logLevel: String = "info"

    @Option(name: .long, help: ArgumentHelp("Subscribe over CURVE with the keys of `gateway keys generate --out DIR`: DIR/client.key, DIR/client.pub and DIR/server.pub.", valueName: "dir"))
    var curve: String?

    func validate() throws {
        if connect.isEmpty { throw ValidationError("give at least one --connect tcp://HOST:PORT") }
        for endpoint in connect {
            if let problem = BusConfig.problem(endpoint: endpoint) { throw ValidationError("--connect \(endpoint): \(problem)") }
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
        // The seam for the recovering subscriber (replay gap-fill): any DashboardEventSource fits here.
        let subscriber = try EventSubscriber(endpoints: connect, curve: curveClient, logger: logger)
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
