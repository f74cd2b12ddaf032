import Dispatch
import Synchronization

/// Tells a POS input when the gateway has kept the transactions it pushed, so it answers the POS
/// "accepted" only for a sale a crash can no longer lose.
///
/// The input attaches one to the last transaction of a document (``PosTransaction/ack``); the
/// pipeline hands it to its ``EventSink`` once that transaction's events are emitted, and the sink
/// settles it when everything emitted so far is durable. Transactions of one ring are processed in
/// order, so one ack covers the whole document.
public final class DeliveryAck: Sendable, Equatable {
    /// How the events were kept.
    public enum Outcome: Sendable, Equatable {
        /// Journalled and synced to disk.
        case journalled
        /// Published live only: the gateway runs without a journal, so there is nothing more to wait for.
        case published
        /// Not kept: the journal refused an event. The sender should send the document again.
        case failed(String)
    }

    private let outcome = Mutex<Outcome?>(nil)
    private let settled = DispatchSemaphore(value: 0)

    /// Creates an unsettled ack.
    public init() {}

    /// Records how the events were kept; only the first call counts.
    public func settle(_ result: Outcome) {
        let first = outcome.withLock { current -> Bool in
            guard current == nil else { return false }
            current = result
            return true
        }
        if first { settled.signal() }
    }

    /// Waits up to `timeout` for ``settle(_:)``; `nil` when it did not come in time. One waiter only.
    public func wait(timeout: Duration) -> Outcome? {
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(clamping: seconds) &* 1_000_000_000 &+ Int(attoseconds / 1_000_000_000)
        guard settled.wait(timeout: .now() + .nanoseconds(max(0, nanoseconds))) == .success else { return nil }
        return outcome.withLock { $0 }
    }

    /// The same ack, by identity.
    public static func == (lhs: DeliveryAck, rhs: DeliveryAck) -> Bool { lhs === rhs }
}
