import Metrics
import Prometheus
import Synchronization

/// The `/metrics` page: gauges sampled once a second from counters the gateway already keeps, so the
/// hot path pays nothing for being observed.
public final class MetricsExporter: Sendable {
    /// The registry `/metrics` renders; anything recorded through swift-metrics lands here too once
    /// ``bootstrapMetricsSystem()`` ran.
    public let registry: PrometheusCollectorRegistry
    private let gauges = Mutex<[String: Prometheus.Gauge]>([:])

    private static let bootstrapped = Atomic<Bool>(false)

    /// Creates an exporter over `registry` (a fresh one by default).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Makes this registry the process's swift-metrics backend. `MetricsSystem.bootstrap` may run
    /// only once per process, so later calls (a second dashboard, tests) do nothing and return `false`.
    @discardableResult
    public func bootstrapMetricsSystem() -> Bool {
        guard Self.bootstrapped.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return false }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return true
    }

    /// The Prometheus text exposition.
    public func render() -> String { registry.emitToString() }

    /// Records one sample of the gateway and the dashboard.
    public func record(state: DashboardState, sample: SystemSample?) {
        set("gateway_dashboard_clients", [], Double(state.system.clients), help: "Browsers connected to the dashboard")
        set("gateway_dashboard_events_received", [], Double(state.system.eventsReceived), help: "Bus events the dashboard received")
        set("gateway_dashboard_events_per_second", [], state.system.eventsPerSecond, help: "Bus events per second at the dashboard")
        set("gateway_dashboard_bus_gaps", [], Double(state.system.gaps), help: "Seq gaps the dashboard's subscriber saw")
        set("gateway_dashboard_events_recovered", [], Double(state.system.recovered), help: "Events the dashboard fetched from replay to fill gaps")
        set("gateway_dashboard_events_lost", [], Double(state.system.lost), help: "Events the dashboard never received")
        for reader in state.readers {
            let labels = [("source", reader.name), ("gateway", reader.gateway)]
            set("gateway_source_up", labels, reader.state == "connected" || reader.state == "dropping" ? 1 : 0,
                help: "1 when the source reports connected")
            set("gateway_source_reads_per_second", labels, reader.rate, help: "Reads per second a source delivered")
        }
        guard let sample else { return }
        set("gateway_pipeline_reads", [], Double(sample.reads), help: "Reads the pipeline processed since start")
        set("gateway_bus_published_seq", [], Double(sample.publishedSeq), help: "The last seq published on the bus")
        set("gateway_bus_refused", [], Double(sample.busRefused), help: "Messages the bus refused to slow subscribers")
        set("gateway_journal_bytes", [], Double(sample.journalBytes), help: "Size of the bus journal in bytes")
        if let lag = state.system.dashboardLag { set("gateway_dashboard_lag_events", [], Double(lag), help: "Events the dashboard is behind the bus") }
        if let lag = state.system.storeLag { set("gateway_store_lag_events", [], Double(lag), help: "Events the CRM store is behind the bus") }
        for source in sample.sources {
            let labels = [("source", source.name)]
            set("gateway_ring_fill_ratio", labels, source.capacity > 0 ? Double(source.queued) / Double(source.capacity) : 0,
                help: "Fill of a source's ring, 0 to 1")
            set("gateway_ring_dropped", labels, Double(source.dropped), help: "Items a source's ring dropped since start")
            set("gateway_ring_accepted", labels, Double(source.accepted), help: "Items a source's ring accepted since start")
        }
    }

    private func set(_ name: String, _ labels: [(String, String)], _ value: Double, help: String) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let gauge = gauges.withLock { gauges in
            if let gauge = gauges[key] { return gauge }
            let descriptor = MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
            let gauge = registry.makeGauge(descriptor: descriptor, labels: labels)
            gauges[key] = gauge
            return gauge
        }
        gauge.set(value)
    }
}
