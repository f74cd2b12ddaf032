import GatewayCore

/// What a consumer of the bus needs from a subscriber, so it can take either kind.
///
/// ``EventSubscriber`` drops duplicates and reports gaps; ``RecoveringSubscriber`` also fills
/// gaps and catches up from replay. One thread at a time calls the methods; ``statistics`` may be
/// read from any thread.
public protocol EventReceiver: AnyObject, Sendable {
    /// Seeds a gateway's last applied seq, typically with the cursor the consumer committed.
    func resume(gateway: String, after seq: UInt64)
    /// The last seq delivered (or resumed) for `gateway`; `nil` when it has not been seen.
    func lastSeq(gateway: String) -> UInt64?
    /// Waits up to `timeout` for events and returns up to `maxBatch` of them; empty when none came in time.
    func receive(maxBatch: Int, timeout: Duration) throws(BusError) -> [GatewayEvent]
    /// What the subscriber has seen so far.
    var statistics: SubscriberStatistics { get }
    /// Disconnects; later calls do nothing.
    func close()
}
