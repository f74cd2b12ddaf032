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

    @Option(name: .long, help: ArgumentHelp("The SQLite file to write.", valueName: "path"))
    var db: String = ".gateway/crm.sqlite"

    @Option(name: .long, help: ArgumentHelp("Log level.", valueName: "level"))
    var logLevel: String = "info"

    func validate() throws {
        if connect.isEmpty { throw ValidationError("give at least one --connect tcp://HOST:PORT") }
        for endpoint in connect where BusConfig.problem(endpoint: endpoint) != nil {
            throw ValidationError("--connect \(endpoint): \(BusConfig.problem(endpoint: endpoint)!)")
        }
    }

    func run() async throws {
        let logger = makeLogger(label: "gateway.store", level: logLevel)
        let database = try CRMDatabase(path: db, logger: logger)
        let subscriber = try EventSubscriber(endpoints: connect, logger: logger)
        let ingest = StoreIngestService(subscriber: subscriber, writer: StoreWriter(database: database, logger: logger),
                                        batch: CRMConfig.Batch(), logger: logger)
        logger.info("CRM store \(db) subscribed to \(connect.joined(separator: ", "))")
        let group = ServiceGroup(configuration: .init(services: [ingest], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
