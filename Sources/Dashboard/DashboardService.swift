import Bus
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
        /// The events: a `RecoveringSubscriber` where the buses have replay (gaps are filled from the
        /// journal), else a plain `EventSubscriber`. The dashboard's own thread is its only user.
        public var source: any EventReceiver
        /// The CRM store: staff users, and the Segments page (tiers, segments, CLV ranking, last run);
        /// `nil` runs with config users only and no Segments page.
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
        public init(configuration: DashboardConfig, source: any EventReceiver, database: CRMDatabase?, dataDirectory: String) {
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
        let sampler = Task { await Self.sample(core: core, setup: setup, health: { pump.health }) }
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

    /// How often the Segments section is read from the store when nothing announced a change.
    static let segmentsInterval: Duration = .seconds(30)
    /// The shortest time between two reads: a run announces its changes in a burst of events.
    static let segmentsThrottle: Duration = .seconds(1)

    /// Once a second: rates, in-process counters, metrics; the Segments section at start, within a
    /// second or two of a `customer.segment` or `customer.erased`, and every 30 s.
    static func sample(core: DashboardCore, setup: Setup, health: @Sendable () -> FeedHealth) async {
        var lastSegments: ContinuousClock.Instant?
        while !Task.isCancelled {
            if let database = setup.database {
                let now = ContinuousClock.now
                let throttled = lastSegments.map { now - $0 < segmentsThrottle } ?? false
                if !throttled, core.aggregator.takeSegmentsChanged() || lastSegments.map({ now - $0 >= segmentsInterval }) ?? true {
                    lastSegments = now
                    do {
                        core.aggregator.setSegments(try SegmentSummary.read(from: database))
                    } catch {
                        core.logger.warning("dashboard: \(error)")
                    }
                }
            }
            let sample = setup.sample?()
            core.aggregator.tick(sample: sample, feed: health())
            core.metrics.record(state: core.aggregator.state, sample: sample)
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
