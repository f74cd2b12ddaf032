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
        let own = Self.connectEndpoint(for: config.bus.publish)
        let others = config.dashboard.connect
        // With CURVE every endpoint is connected with this gateway's server key, so extra buses must share it (docs/security.md).
        let subscriber: any EventReceiver
        if publisher.journal != nil, others.isEmpty || config.dashboard.replay.count == others.count {
            // Gaps are filled from the journals. This gateway's events are taken from its first one
            // of this run, so nothing published before the subscription settled is missed; other
            // gateways start live (their history is not this screen's business).
            let sources = [BusSource(bus: own, replay: Self.connectEndpoint(for: config.bus.replay))]
                + zip(others, config.dashboard.replay).map { BusSource(bus: $0, replay: $1) }
            let recovering = try RecoveringSubscriber(sources: sources, receiveHighWaterMark: config.bus.receiveHighWaterMark, start: .live,
                                                      curve: busCurveClient, logger: logger)
            recovering.resume(gateway: config.gateway.id, after: publisher.statistics.lastSeq)
            subscriber = recovering
        } else {
            logger.notice("dashboard: no replay for every bus (bus.journal off, or dashboard.connect without dashboard.replay): missed events are counted, not recovered")
            subscriber = try EventSubscriber(endpoints: [own] + others, receiveHighWaterMark: config.bus.receiveHighWaterMark,
                                             curve: busCurveClient, logger: logger)
        }
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
