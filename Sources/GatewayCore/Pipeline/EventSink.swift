/// Where the pipeline hands finished events: the bus publisher in a gateway, a recorder in tests.
///
/// Called only from the pipeline thread. The sink adds the common fields (`seq`, `gateway`, `store`).
public protocol EventSink: AnyObject {
    /// Publishes one event that happened at `ts`.
    func emit(_ payload: EventPayload, at ts: Timestamp)
    /// Pushes out anything batched (called after each pipeline round that emitted).
    func flush()
    /// Flushes and releases resources; no emits follow.
    func close()
    /// Settles `ack` once every event emitted so far is kept (see ``DeliveryAck``).
    func settle(_ ack: DeliveryAck)
}

extension EventSink {
    /// A sink that keeps nothing beyond what it was handed (a recorder in tests) settles at once.
    public func settle(_ ack: DeliveryAck) { ack.settle(.published) }
}
