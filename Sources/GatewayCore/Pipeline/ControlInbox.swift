import Synchronization

/// Low-rate messages from drivers to the pipeline thread (status changes), behind a mutex.
///
/// These are rare next to reads, so a lock is simpler than another ring and costs nothing that matters.
public final class ControlInbox: Sendable {
    private let pending = Mutex<[SourceStatus]>([])
    private let doorbell: Doorbell

    /// Creates an inbox that wakes the pipeline through `doorbell`.
    public init(doorbell: Doorbell) { self.doorbell = doorbell }

    /// Queues a status report and wakes the pipeline.
    public func post(_ status: SourceStatus) {
        pending.withLock { $0.append(status) }
        doorbell.wake()
    }

    /// Takes everything queued so far.
    public func take() -> [SourceStatus] {
        pending.withLock { queued in
            defer { queued.removeAll(keepingCapacity: true) }
            return queued
        }
    }

    /// True when something is queued.
    public var hasPending: Bool { pending.withLock { !$0.isEmpty } }
}
