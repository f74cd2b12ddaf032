/// What a source's ring does when the pipeline falls behind and the ring is full.
public enum OverflowPolicy: String, Sendable, CaseIterable {
    /// The producer waits for room: nothing is lost, the device or feed is slowed instead.
    case block
    /// The incoming item is discarded and counted.
    case dropNewest
    /// The oldest queued item is discarded and counted, so the freshest reads get through.
    case dropOldest
}
