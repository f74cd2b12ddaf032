import Bus
import CRMStore
import Foundation
import GatewayCore
import Logging
import Matching
import ServiceLifecycle
import Simulator

/// One running gateway: every component built from the config and run in one `ServiceGroup`.
///
/// Services start in data-flow order (store, pipeline, drivers) and, on SIGINT or SIGTERM, stop in
/// reverse: drivers stop producing, the pipeline drains the rings and flushes the bus, and the store
/// applies what was published before it closes.
final class Gateway {
    let config: GatewayConfig
    let logger: Logger
    let database: CRMDatabase
    let publisher: EventPublisher
    /// What the embedded store and dashboard subscribe with when the bus uses CURVE.
    let busCurveClient: BusCurveClient?
    let pipeline: StorePipeline
    let runner: PipelineRunner
    let readSinks: [ReadSink]
    let transactionSinks: [TransactionSink]
    private var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
    private(set) var storeIngest: StoreIngestService?

    init(config: GatewayConfig, statsInterval: Duration?, logger: Logger) throws {
        self.config = config
        self.logger = logger
        let drivers = try DriverCatalog.drivers(for: config.sources, logger: logger)
        do {
            try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create the data folder \(config.dataDirectory): \(error.localizedDescription)")
        }
        let tokenizer = try CustomerTokenizer.load(file: config.privacy.tokenKeyFile ?? config.dataPath("token.key"))

        // Master data: the CRM store is the source of truth; seed the demo on first start.
        database = try CRMDatabase(path: config.crm.db, logger: logger)
        let importer = CSVImporter(database: database, logger: logger)
        for summary in try importer.seedIfEmpty(config.crm.seed, relativeTo: config.baseDirectory, tokenizer: tokenizer,
                                                 profilingDefault: config.segmentation.profilingDefault) {
            logger.info("seeded \(summary)")
            for error in summary.errors { logger.warning("\(error)") }
        }
        let master = try database.loadMasterData()

        // Sources, each with its own ring; the pipeline thread drains them all.
        let doorbell = Doorbell()
        let inbox = ControlInbox(doorbell: doorbell)
        var readSinks: [ReadSink] = []
        var transactionSinks: [TransactionSink] = []
        var counters: [UInt16: any SourceCounters] = [:]
        var descriptors: [SourceDescriptor] = []
        let active = config.sources.filter { config.simulator.enabled || !DriverCatalog.simulated.contains($0.driver) }
        for (position, source) in active.enumerated() {
            let descriptor = SourceDescriptor(index: UInt16(position), name: source.name, driver: source.driver,
                                              antennaZones: source.antennas, defaultZone: source.zone)
            descriptors.append(descriptor)
            switch source.kind {
            case .reads:
                let ring = SPSCRing<TagRead>(capacity: source.ring.capacity, policy: source.ring.overflow, doorbell: doorbell)
                readSinks.append(ReadSink(source: descriptor, ring: ring, inbox: inbox))
                counters[descriptor.index] = ring
            case .transactions:
                let ring = SPSCRing<PosTransaction>(capacity: source.ring.capacity, lossless: .block, doorbell: doorbell)
                transactionSinks.append(TransactionSink(source: descriptor, ring: ring, inbox: inbox))
                counters[descriptor.index] = ring
            }
        }
        self.readSinks = readSinks
        self.transactionSinks = transactionSinks

        // With CURVE, this process's own subscribers need a key on the allow-list: the quick start's
        // client pair, or a throwaway pair made now.
        var bus = config.bus
        busCurveClient = try bus.curve?.makeLocalClient()
        publisher = try EventPublisher(configuration: bus, gateway: config.gateway.id, store: config.gateway.store,
                                       journalDirectory: config.bus.journal.enabled ? config.dataPath("journal") : nil, logger: logger)
        pipeline = StorePipeline(configuration: config.matching, layout: config.store, sources: descriptors, counters: counters,
                                 directory: Directory(master), sink: publisher, logger: logger)
        runner = PipelineRunner(readSinks: readSinks, transactionSinks: transactionSinks, doorbell: doorbell, inbox: inbox,
                                processor: pipeline, logger: logger)

        // Replay serves the journal to subscribers that missed events; it stops last.
        if let journal = publisher.journal {
            let replay = try ReplayServer(configuration: bus, journal: journal, gateway: config.gateway.id, logger: logger)
            add(ReplayService(server: replay), name: "replay", essential: true)
        }
        // In data-flow order from the right: the store first, so it is subscribed before events flow.
        if config.crm.embedded {
            // With replay, the store recovers whatever it missed (a slow start, a full queue) from the journal.
            let subscriber: any EventReceiver = publisher.journal == nil
                ? try EventSubscriber(endpoints: [Self.connectEndpoint(for: config.bus.publish)],
                                      receiveHighWaterMark: config.bus.receiveHighWaterMark, curve: busCurveClient, logger: logger)
                : try RecoveringSubscriber(sources: [BusSource(bus: Self.connectEndpoint(for: config.bus.publish),
                                                               replay: Self.connectEndpoint(for: config.bus.replay))],
                                           receiveHighWaterMark: config.bus.receiveHighWaterMark, curve: busCurveClient, logger: logger)
            let publisher = self.publisher
            let gatewayID = config.gateway.id
            let ingest = StoreIngestService(subscriber: subscriber, writer: StoreWriter(database: database, logger: logger),
                                            batch: config.crm.batch, retention: config.crm.retention,
                                            drainTarget: { (gatewayID, publisher.statistics.lastSeq) }, logger: logger)
            storeIngest = ingest
            add(ingest, name: "crm-store", essential: true)
        }
        if let dashboard = try makeDashboard() { add(dashboard, name: "dashboard", essential: false) }
        add(runner, name: "pipeline", essential: true)
        if let pos = try makePOSListener(formats: drivers.listenerFormats) { add(pos, name: "pos-listener", essential: true) }
        add(MasterDataWatcher(database: database, pipeline: pipeline, revision: master.revision, logger: logger), name: "master-data", essential: false)
        // Segment changes and erasures of any process go on the bus; the schedule runs segmentation when configured.
        for (service, name) in outboxServices() + segmentationServices() { add(service, name: name, essential: false) }
        for sink in readSinks {
            guard let driver = drivers.readers[sink.source.name] else { continue }
            add(ReadSourceService(source: driver, sink: sink, logger: logger), name: sink.source.name, essential: false)
        }
        for sink in transactionSinks {
            guard let driver = drivers.pointsOfSale[sink.source.name] else { continue }
            add(TransactionSourceService(source: driver, sink: sink, logger: logger), name: sink.source.name, essential: false)
        }
        if config.simulator.enabled {
            try addSimulator(master: master, readSinks: readSinks, transactionSinks: transactionSinks)
        }
        if let statsInterval {
            add(StatusLine(interval: statsInterval, pipeline: pipeline, publisher: publisher, sinks: readSinks,
                           store: storeIngest, gateway: config.gateway.id), name: "status-line", essential: false)
        }
        logger.info("gateway \(config.gateway.id) of store \(config.gateway.store) ready", metadata: [
            "sources": "\(descriptors.map(\.name).joined(separator: ","))", "bus": "\(config.bus.publish)",
            "crm": "\(config.crm.embedded ? config.crm.db : "external")", "customers": "\(master.customers.count)",
            "products": "\(master.products.count)", "seq": "\(publisher.statistics.lastSeq)",
        ])
    }

    /// Runs until SIGINT/SIGTERM, then shuts down in reverse order and closes the bus.
    func run() async throws {
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      cancellationSignals: [], logger: logger))
        defer { publisher.close() }
        try await group.run()
    }

    /// Re-reads `file` on SIGHUP: an invalid file is refused and the running config kept (see ``ConfigReloadService``).
    func reloadOnHangup(file: String, fixedLogLevel: String?) {
        add(ConfigReloadService(file: file, fixedLogLevel: fixedLogLevel, logger: logger), name: "config-reload", essential: false)
    }

    private func add(_ service: any Service, name: String, essential: Bool) {
        // A driver that stops must not take the store down with it; the core services must.
        let behaviour: ServiceGroupConfiguration.ServiceConfiguration.TerminationBehavior = essential ? .gracefullyShutdownGroup : .ignore
        services.append(.init(service: service, successTerminationBehavior: behaviour, failureTerminationBehavior: behaviour, serviceName: name))
    }

    private func addSimulator(master: MasterData, readSinks: [ReadSink], transactionSinks: [TransactionSink]) throws {
        let simulated = config.sources.filter { DriverCatalog.simulated.contains($0.driver) }
        guard !simulated.isEmpty else { return }
        var coverage: [String: [(reader: String, antenna: UInt16)]] = [:]
        for source in simulated where source.kind == .reads {
            if source.antennas.isEmpty, let zone = source.zone { coverage[zone, default: []].append((source.name, 1)) }
            for (antenna, zone) in source.antennas.sorted(by: { $0.key < $1.key }) { coverage[zone, default: []].append((source.name, antenna)) }
        }
        func zone(_ role: StoreLayoutConfig.Zone.Role) throws -> String {
            guard let zone = config.store.zones.first(where: { $0.role == role && coverage[$0.name] != nil }) else {
                throw CLIError("simulator: no simulated reader covers a zone with role '\(role.rawValue)'")
            }
            return zone.name
        }
        let pos = simulated.first { $0.kind == .transactions }?.name
        let plan = SimulatedFloorPlan(coverage: coverage, entrance: try zone(.entrance), floor: try zone(.floor), checkout: try zone(.checkout),
                                      pos: pos, storeID: config.gateway.store)
        let shoppers = master.customers.map { customer in
            SimulatedCast.Shopper(customerID: customer.customerID,
                                  loyaltyTag: customer.credentials.first { $0.kind == .epc }.flatMap { TagID(hex: $0.value) })
        }
        let items = master.products.map { SimulatedCast.Item(gtin: $0.gtin, price: $0.price, name: $0.name) }
        let cast = SimulatedCast(shoppers: shoppers, items: items, companyPrefix: config.store.companyPrefixes.first ?? "0614141")
        let store = SimulatedStore(configuration: config.simulator, cast: cast, plan: plan, logger: logger)
        add(TaskService(name: "simulated-store") { try await store.run() }, name: "simulated-store", essential: false)
        for sink in readSinks where DriverCatalog.simulated.contains(sink.source.driver) {
            guard let reader = store.reader(named: sink.source.name) else { continue }
            add(ReadSourceService(source: reader, sink: sink, logger: logger), name: sink.source.name, essential: false)
        }
        for sink in transactionSinks where DriverCatalog.simulated.contains(sink.source.driver) {
            add(TransactionSourceService(source: store.pointOfSale(), sink: sink, logger: logger), name: sink.source.name, essential: false)
        }
    }

    /// The address a local subscriber connects to for a bind endpoint (`*` and `0.0.0.0` become loopback).
    static func connectEndpoint(for bind: String) -> String {
        bind.replacingOccurrences(of: "://*:", with: "://127.0.0.1:").replacingOccurrences(of: "://0.0.0.0:", with: "://127.0.0.1:")
    }
}

extension Directory {
    /// The matcher's view of the CRM's master data.
    init(_ master: MasterData) {
        self.init(
            customers: master.customers.map {
                Directory.Customer(id: $0.customerID, token: $0.token, firstName: $0.firstName ?? "", tier: $0.tier,
                                   recognitionConsent: $0.recognitionConsent, credentials: $0.credentials.map(\.value))
            },
            products: master.products.map { Directory.Product(gtin: $0.gtin, name: $0.name, category: $0.category) })
    }
}

/// Runs the replay server's thread until graceful shutdown.
struct ReplayService: Service {
    let server: ReplayServer

    func run() async throws {
        server.start()
        try? await gracefulShutdown()
        server.stop()
    }
}

/// Notices master-data changes (an import by another process, a consent change) and hands the
/// matcher a fresh directory.
struct MasterDataWatcher: Service {
    let database: CRMDatabase
    let pipeline: StorePipeline
    let revision: Int64
    let logger: Logger

    func run() async throws {
        var seen = revision
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .seconds(2))
            do {
                let current = try database.masterRevision()
                guard current != seen else { continue }
                let master = try database.loadMasterData()
                seen = master.revision
                pipeline.replace(directory: Directory(master))
            } catch {
                logger.warning("cannot reload master data: \(error)")
            }
        }
    }
}
