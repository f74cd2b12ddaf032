import Foundation
import GatewayCore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The POS listener as a service: the HTTP server (when any source has a route) and the drop-folder
/// watchers, started together and stopped together on graceful shutdown.
public struct POSListenerService: Service {
    /// The `pos:` section.
    public let configuration: POSListenerConfig
    /// The sources served.
    public let sources: [POSSource]
    /// The shared ingestion path and ledger.
    public let ingestor: POSIngestor
    /// Routes served for the rest of the gateway (the `customer.consent` input).
    public let routes: [IntakeRoute]
    let sourcePaths: [String: String]
    let onListening: (@Sendable (Int) -> Void)?
    let logger: Logger

    /// Builds the routes and checks the configuration.
    /// - Parameters:
    ///   - sourcePaths: each source's key path in the config (`sources[4]`), for error messages.
    ///   - routes: routes served for the rest of the gateway; the server runs when there is any, even with no POS route.
    ///   - onListening: called with the bound port once the server listens (tests bind port 0).
    /// - Throws: `ConfigError` for a non-loopback listener without `allowNonLoopback` or two sources on one path.
    public init(configuration: POSListenerConfig, sources: [POSSource], ingestor: POSIngestor, sourcePaths: [String: String] = [:],
                routes: [IntakeRoute] = [], onListening: (@Sendable (Int) -> Void)? = nil, logger: Logger) throws {
        try configuration.validate(path: "pos")
        self.configuration = configuration
        self.sources = sources
        self.ingestor = ingestor
        self.onListening = onListening
        self.logger = logger
        self.sourcePaths = sourcePaths
        self.routes = routes
        try POSListener.checkPaths(sources: sources, sourcePaths: sourcePaths, routes: routes)
    }

    /// Serves until graceful shutdown.
    public func run() async throws {
        let configuration = self.configuration
        let sources = self.sources
        let logger = self.logger
        let onListening = self.onListening
        let routes = self.routes
        try await withThrowingTaskGroup(of: Void.self) { group in
            for source in sources {
                guard let folder = source.options.dropFolder, let fileExtension = source.format.dropFileExtension else { continue }
                let watcher = POSDropFolder(folder: folder, source: source, ingestor: ingestor, fileExtension: fileExtension,
                                            maxBytes: configuration.maxBodyBytes, poll: configuration.dropFolderPoll, logger: logger)
                try watcher.prepare()
                group.addTask {
                    do {
                        try await cancelWhenGracefulShutdown { try await watcher.run() }
                    } catch is CancellationError {
                    } catch {
                        logger.error("POS source \(source.name): drop folder stopped: \(error)")
                        source.sink.report(.error, "drop folder stopped: \(error)")
                    }
                }
                source.sink.report(.connected, "watching drop folder \(folder)")
            }
            if !routes.isEmpty || sources.contains(where: { $0.options.path != nil }) {
                let router = try POSListener.router(sources: sources, ingestor: ingestor, maxBodyBytes: configuration.maxBodyBytes,
                                                    sourcePaths: sourcePaths, routes: routes, logger: logger)
                let host = configuration.host
                let app = POSListener.application(router: router, address: .hostname(host, port: configuration.port), readTimeout: configuration.readTimeout,
                                                    logger: logger) { channel in
                    let port = channel.localAddress?.port ?? configuration.port
                    let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
                    for source in sources {
                        guard let path = source.options.path else { continue }
                        logger.notice("POS listener: \(source.format.driver) for source \(source.name) at \(base)\(path)")
                        source.sink.report(.connected, "listening at \(base)\(path)")
                    }
                    for route in routes { logger.notice("POS listener: \(route.name) at \(base)\(route.path)") }
                    onListening?(port)
                }
                group.addTask {
                    do {
                        try await app.run()
                    } catch {
                        throw POSIngestError(.listen, "POS listener: cannot serve on \(configuration.listen): \(error)")
                    }
                }
            }
            try await group.waitForAll()
        }
        for source in sources {
            // Nothing pushes after this: release a push blocked on a full ring, as other POS drivers do.
            source.sink.ring.close()
            let counts = source.counters.snapshot
            let summary = "\(counts.accepted) accepted, \(counts.duplicated) duplicated, \(counts.rejected) rejected, "
                + "\(counts.ignored) ignored, \(counts.refusedDocuments) documents refused"
            logger.info("POS source \(source.name) stopped: \(summary)")
        }
    }
}
