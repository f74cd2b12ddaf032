import Bus
import GatewayCore

/// Where the dashboard's events come from: a bus subscriber, used by one thread at a time.
///
/// This is the seam for the recovering subscriber (replay gap-fill): anything that can hand over
/// batches of de-duplicated events in seq order can feed the dashboard.
public protocol DashboardEventSource: AnyObject, Sendable {
    /// Waits up to `timeout` for events, then returns what is queued, up to `maxBatch`.
    func receive(maxBatch: Int, timeout: Duration) throws(BusError) -> [GatewayEvent]
    /// Gaps seen so far (events missed and not recovered).
    var gapCount: UInt64 { get }
    /// Disconnects.
    func close()
}

extension EventSubscriber: DashboardEventSource {
    /// Gaps the subscriber detected.
    public var gapCount: UInt64 { statistics.gaps }
}
