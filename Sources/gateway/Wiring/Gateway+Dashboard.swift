import Bus
import Dashboard
import Foundation
import GatewayCore

extension Gateway {
    /// The staff dashboard of `gateway run`, subscribed to this gateway's own bus (and any extra
    /// `dashboard.connect` buses), fed once a second with the in-process counters; `nil` when
    /// `dashboard.enabled` is false.
    func makeDashboard() throws -> DashboardService? {
        guard config.dashboard.enabled else { return nil }
        let endpoints = [Self.connectEndpoint(for: config.bus.publish)] + config.dashboard.connect
        // The seam for the recovering subscriber (replay gap-fill): any DashboardEventSource fits here.
        // With CURVE every endpoint is connected with this gateway's server key, so extra buses must share it (docs/security.md).
        let subscriber = try EventSubscriber(endpoints: endpoints, receiveHighWaterMark: config.bus.receiveHighWaterMark, curve: busCurveClient,
                                             logger: logger)
        let metrics = MetricsExporter()
        metrics.bootstrapMetricsSystem()

        var setup = DashboardService.Setup(configuration: config.dashboard, source: subscriber, database: database,
                                           dataDirectory: config.dataDirectory)
        setup.zones = config.store.zones.map(\.name)
        setup.sources = readSinks.map { ($0.source.name, "reads") } + transactionSinks.map { ($0.source.name, "transactions") }
        setup.gateway = config.gateway.id
        setup.sample = { [pipeline, publisher, readSinks, transactionSinks, storeIngest, gatewayID = config.gateway.id] in
            let bus = publisher.statistics
            let sources = readSinks.map {
                SystemSample.Source(name: $0.source.name, kind: "reads", accepted: $0.ring.accepted, dropped: $0.ring.dropped,
                                    queued: $0.ring.count, capacity: $0.ring.capacity)
            } + transactionSinks.map {
                SystemSample.Source(name: $0.source.name, kind: "transactions", accepted: $0.ring.accepted, dropped: $0.ring.dropped,
                                    queued: $0.ring.count, capacity: $0.ring.capacity)
            }
            return SystemSample(gateway: gatewayID, sources: sources, reads: pipeline.statistics.snapshot.reads, publishedSeq: bus.lastSeq,
                                busRefused: bus.refused, journalBytes: bus.journalBytes, storeAppliedSeq: storeIngest?.appliedSeqs[gatewayID])
        }
        do {
            return try DashboardService(setup: setup, metrics: metrics, logger: logger)
        } catch {
            throw CLIError("\(error)")
        }
    }
}
