import ArgumentParser
import Bus
import CRMStore
import Foundation
import GatewayCore
import Logging
import ServiceLifecycle

/// `gateway store`: the CRM store alone, subscribed to one or more gateways.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Run the CRM store alone, subscribed to gateways' buses.",
        discussion: "Each gateway has its own seq space; the store resumes each from its last applied seq."
    )

    @Option(name: .long, help: ArgumentHelp("A gateway's bus, e.g. tcp://127.0.0.1:5556. Repeatable.", valueName: "url"))
    var connect: [String] = []

    @Option(name: .long, help: ArgumentHelp("The replay endpoint of the --connect in the same position (e.g. tcp://127.0.0.1:5557): missed events are fetched from the gateway's journal. Repeatable.", valueName: "url"))
    var replay: [String] = []

    @Option(name: .long, help: ArgumentHelp("Where to write: sqlite:PATH, a plain path (SQLite), or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]; ${NAME} is read from the environment (for the password).", valueName: "url"))
    var db: String = ".gateway/crm.sqlite"

    @Option(name: .long, help: ArgumentHelp("How long raw presence rows are kept (e.g. 7d, 12h); 0s keeps them for ever.", valueName: "duration"))
    var presenceRetention: String = "7d"

    @Option(name: .long, help: ArgumentHelp("How long visits are kept after they end (e.g. 365d); 0s keeps them for ever.", valueName: "duration"))
    var visitsRetention: String = "365d"

    @Option(name: .long, help: ArgumentHelp("How long sales, with their lines and tenders, are kept (e.g. 3650d for the tax period); 0s, the default, keeps them for ever.", valueName: "duration"))
    var transactionsRetention: String = "0s"

    @Option(name: .long, help: ArgumentHelp("Log level.", valueName: "level"))
    var logLevel: String = "info"

    @Option(name: .long, help: ArgumentHelp("Subscribe over CURVE with the keys of `gateway keys generate --out DIR`: DIR/client.key, DIR/client.pub and DIR/server.pub.", valueName: "dir"))
    var curve: String?

    func validate() throws {
        if connect.isEmpty { throw ValidationError("give at least one --connect tcp://HOST:PORT") }
        if !replay.isEmpty, replay.count != connect.count {
            throw ValidationError("give one --replay per --connect, in the same order (\(connect.count) --connect, \(replay.count) --replay)")
        }
        for endpoint in replay where BusConfig.problem(endpoint: endpoint) != nil {
            throw ValidationError("--replay \(endpoint): \(BusConfig.problem(endpoint: endpoint)!)")
        }
        for endpoint in connect where BusConfig.problem(endpoint: endpoint) != nil {
            throw ValidationError("--connect \(endpoint): \(BusConfig.problem(endpoint: endpoint)!)")
        }
        do {
            _ = try StoreLocation.parse(db, origin: "--db")
        } catch {
            throw ValidationError(error.message)
        }
        _ = try retention()
    }

    /// The `--…-retention` ages, checked as `crm.retention` is; a `nil` age keeps that table for ever.
    private func retention() throws -> CRMConfig.Retention {
        CRMConfig.Retention(
            presence: try CRMConfig.Retention.Table.presence.age(presenceRetention, flag: "--presence-retention"),
            visits: try CRMConfig.Retention.Table.visits.age(visitsRetention, flag: "--visits-retention"),
            transactions: try CRMConfig.Retention.Table.transactions.age(transactionsRetention, flag: "--transactions-retention"))
    }

    func run() async throws {
        let logger = makeLogger(label: "gateway.store", level: logLevel)
        let curveClient: BusCurveClient?
        do {
            curveClient = try curve.map { try BusCurveClient(directory: $0) }
        } catch {
            throw CLIError("--curve \(curve ?? ""): \(error)")
        }
        let location = try StoreLocation.parse(db, origin: "--db")
        // The PostgreSQL writer's connection pool runs as a service before the ingest, so it stops after it.
        var services: [any Service] = []
        let writer: any CRMEventStore
        switch location {
        case .sqlite(let path):
            writer = StoreWriter(database: try CRMDatabase(path: path, logger: logger), logger: logger)
        case .postgres(let server):
            let postgres = PostgresStoreWriter(location: server, logger: logger)
            services.append(postgres)
            writer = postgres
        }
        let subscriber: any EventReceiver = replay.isEmpty
            ? try EventSubscriber(endpoints: connect, curve: curveClient, logger: logger)
            : try RecoveringSubscriber(sources: zip(connect, replay).map { BusSource(bus: $0, replay: $1) }, curve: curveClient, logger: logger)
        let ingest = StoreIngestService(subscriber: subscriber, writer: writer, batch: CRMConfig.Batch(),
                                        retention: try retention(), logger: logger)
        services.append(ingest)
        logger.info("CRM store \(location) subscribed to \(connect.joined(separator: ", "))")
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
