import CRMStore
import Logging

/// Everything the dashboard's routes share: the feed, the sign-in machinery, the metrics.
public struct DashboardCore: Sendable {
    /// The state and its browsers.
    public let aggregator: FeedAggregator
    /// Signed-in staff.
    public let sessions: SessionStore
    /// Who may sign in.
    public let directory: StaffDirectory
    /// Failed sign-ins.
    public let limiter: LoginLimiter
    /// `/metrics`.
    public let metrics: MetricsExporter
    /// Where requests are logged.
    public let logger: Logger

    /// Creates the shared parts.
    public init(aggregator: FeedAggregator, sessions: SessionStore, directory: StaffDirectory, limiter: LoginLimiter = LoginLimiter(),
                metrics: MetricsExporter, logger: Logger) {
        self.aggregator = aggregator
        self.sessions = sessions
        self.directory = directory
        self.limiter = limiter
        self.metrics = metrics
        self.logger = logger
    }
}
