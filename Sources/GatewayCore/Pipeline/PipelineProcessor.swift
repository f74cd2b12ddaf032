/// The stages the pipeline thread runs, in order, for everything the drivers deliver.
///
/// Called only from the pipeline thread, so implementations keep plain mutable state and take no locks.
public protocol PipelineProcessor: AnyObject {
    /// One tag read: filter, decode, smooth, match, rules.
    func process(read: TagRead)
    /// One POS transaction: enrich and publish.
    func process(transaction: PosTransaction, from source: UInt16)
    /// A driver's status change.
    func process(status: SourceStatus)
    /// Called at least every tick interval with the current time: presence expiry, counters, reloads.
    func tick(now: Timestamp)
    /// Whether the last tick left due work for later (a share of a burst of exits), so the next tick
    /// should come after the next round instead of a tick interval later.
    var hasDueWork: Bool { get }
    /// Called after each round that did work or ticked, before the thread may park: flush batched output.
    func flush()
    /// Called once when the pipeline stops, after the rings are drained.
    func finish()
}

extension PipelineProcessor {
    /// A processor whose tick always finishes its work has none left due.
    public var hasDueWork: Bool { false }
}
