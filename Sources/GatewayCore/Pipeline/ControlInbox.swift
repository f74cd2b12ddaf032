import Synchronization

/// Low-rate messages from drivers to the pipeline thread (status changes), behind a mutex.
///
/// These are rare next to reads, so a lock is simpler than another ring and costs nothing that matters.
public final class ControlInbox: Sendable {
    private let pending = Mutex<[SourceStatus]>([])
    /// Set under the lock when something is queued, so the pipeline's every round costs one load, not a lock.
    private let posted = Atomic<Bool>(false)
    private let doorbell: Doorbell

    /// Creates an inbox that wakes the pipeline through `doorbell`.
    public init(doorbell: Doorbell) { self.doorbell = doorbell }

    /// Queues a status report and wakes the pipeline.
    public func post(_ status: SourceStatus) {
        pending.withLock {
            $0.append(status)
            posted.store(true, ordering: .releasing)
        }
        doorbell.wake()
    }

    /// Takes everything queued so far.
    public func take() -> [SourceStatus] {
        guard posted.load(ordering: .acquiring) else { return [] }
        return pending.withLock { queued in
            posted.store(false, ordering: .relaxed)
            defer { queued = [] }
            return queued
        }
    }

    /// True when something is queued.
    public var hasPending: Bool { posted.load(ordering: .acquiring) }
}
