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

    @Option(name: .long, help: ArgumentHelp("The SQLite file to write.", valueName: "path"))
    var db: String = ".gateway/crm.sqlite"

    @Option(name: .long, help: ArgumentHelp("Log level.", valueName: "level"))
    var logLevel: String = "info"

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
    }

    func run() async throws {
        let logger = makeLogger(label: "gateway.store", level: logLevel)
        let database = try CRMDatabase(path: db, logger: logger)
        let subscriber: any EventReceiver = replay.isEmpty
            ? try EventSubscriber(endpoints: connect, logger: logger)
            : try RecoveringSubscriber(sources: zip(connect, replay).map { BusSource(bus: $0, replay: $1) }, logger: logger)
        let ingest = StoreIngestService(subscriber: subscriber, writer: StoreWriter(database: database, logger: logger),
                                        batch: CRMConfig.Batch(), logger: logger)
        logger.info("CRM store \(db) subscribed to \(connect.joined(separator: ", "))")
        let group = ServiceGroup(configuration: .init(services: [ingest], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
