import CRMStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The staff dashboard as a service: a bus subscriber thread, a once-a-second sampler, and the web
/// server, started together and stopped together.
public struct DashboardService: Service {
    /// What the service needs from its host.
    public struct Setup: Sendable {
        /// The `dashboard:` section.
        public var configuration: DashboardConfig
        /// The events: the subscriber (swap in the recovering one here).
        public var source: any DashboardEventSource
        /// The CRM store, for staff users and tier counts; `nil` runs with config users only.
        public var database: CRMDatabase?
        /// Where the first-run password file goes.
        public var dataDirectory: String
        /// The store's zones, in config order, so the floor shows empty zones too.
        public var zones: [String] = []
        /// The configured sources, so a silent one still shows up.
        public var sources: [(name: String, kind: String)] = []
        /// The gateway id when running inside a gateway.
        public var gateway: String = ""
        /// In-process counters, sampled once a second (inside `gateway run` only).
        public var sample: (@Sendable () -> SystemSample?)?
        /// Called with the bound port once the server listens.
        public var onListening: (@Sendable (Int) -> Void)?

        /// Creates a setup.
        public init(configuration: DashboardConfig, source: any DashboardEventSource, database: CRMDatabase?, dataDirectory: String) {
            self.configuration = configuration
            self.source = source
            self.database = database
            self.dataDirectory = dataDirectory
        }
    }

    /// The routes' shared parts (the aggregator, sessions, metrics).
    public let core: DashboardCore
    let setup: Setup
    let firstRunPasswordFile: String?

    /// Builds the dashboard; on first run (no users anywhere) creates `manager` with a random password.
    ///
    /// - Throws: ``DashboardError`` with code `.config` for a non-loopback listener that was not
    ///   allowed, `.users` or `.passwordFile` when the first user cannot be created.
    public init(setup: Setup, metrics: MetricsExporter = MetricsExporter(), logger: Logger) throws(DashboardError) {
        do {
            try setup.configuration.validate(path: "dashboard")
        } catch {
            throw DashboardError(.config, "\(error)")
        }
        let directory = StaffDirectory(configured: setup.configuration.users, database: setup.database, logger: logger)
        let passwordFile = (setup.dataDirectory as NSString).appendingPathComponent("dashboard-password")
        firstRunPasswordFile = try directory.bootstrapFirstUser(passwordFile: passwordFile)
        core = DashboardCore(aggregator: FeedAggregator(zones: setup.zones, sources: setup.sources, gateway: setup.gateway),
                             sessions: SessionStore(ttl: setup.configuration.sessionTTL), directory: directory, metrics: metrics, logger: logger)
        self.setup = setup
    }

    /// Serves until graceful shutdown.
    public func run() async throws {
        let core = self.core
        let setup = self.setup
        let pump = FeedPump(source: setup.source, aggregator: core.aggregator, logger: core.logger)
        pump.start()
        let sampler = Task { await Self.sample(core: core, setup: setup, gaps: { pump.gaps }) }
        let host = setup.configuration.host
        let firstRun = firstRunPasswordFile
        let app = DashboardRoutes.application(core: core, address: .hostname(host, port: setup.configuration.port)) { channel in
            let port = channel.localAddress?.port ?? setup.configuration.port
            let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
            if let firstRun {
                core.logger.notice("dashboard: \(url) — sign in as manager, password in \(firstRun)")
            } else {
                core.logger.notice("dashboard: \(url)")
            }
            setup.onListening?(port)
        }
        do {
            // Browsers hold WebSockets open: end their streams as soon as shutdown begins, or the
            // server would wait for them.
            try await withGracefulShutdownHandler {
                try await app.run()
            } onGracefulShutdown: {
                core.aggregator.finishAll()
            }
        } catch {
            sampler.cancel()
            core.aggregator.finishAll()
            await pump.stop()
            throw DashboardError(.listen, "dashboard: cannot serve on \(setup.configuration.listen): \(error)")
        }
        sampler.cancel()
        core.aggregator.finishAll()
        await pump.stop()
    }

    /// Once a second: rates, in-process counters, metrics; every 30 s the tier counts.
    static func sample(core: DashboardCore, setup: Setup, gaps: @Sendable () -> UInt64) async {
        var lastTiers: ContinuousClock.Instant?
        while !Task.isCancelled {
            if let database = setup.database, lastTiers.map({ ContinuousClock.now - $0 > .seconds(30) }) ?? true {
                lastTiers = .now
                do {
                    core.aggregator.setTiers(try database.customerCountsByTier())
                } catch {
                    core.logger.warning("dashboard: cannot count customers by tier: \(error)")
                }
            }
            let sample = setup.sample?()
            core.aggregator.tick(sample: sample, subscriberGaps: gaps())
            core.metrics.record(state: core.aggregator.state, sample: sample)
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
