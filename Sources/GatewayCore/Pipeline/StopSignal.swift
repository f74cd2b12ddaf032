import Foundation

/// Tells a driver thread to stop, and lets it wait for that with a timeout instead of sleeping blind.
///
/// Drivers that block in device calls (libusb, termios) run on their own threads and check this between calls.
public final class StopSignal: @unchecked Sendable {
    // NSCondition guards `stopped`; every access goes through it.
    private let condition = NSCondition()
    private var stopped = false

    /// Creates a signal that has not fired.
    public init() {}

    /// Asks the thread to stop; wakes it if it is waiting.
    public func fire() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Whether a stop was asked for.
    public var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    /// Waits until stopped or `timeout` passes; returns whether it was stopped.
    @discardableResult
    public func wait(timeout: Duration) -> Bool {
        let deadline = Date().addingTimeInterval(Double(timeout.milliseconds) / 1_000)
        condition.lock()
        defer { condition.unlock() }
        while !stopped {
            if !condition.wait(until: deadline) { break }
        }
        return stopped
    }
}

extension StopSignal {
    /// Runs `body` on a dedicated thread and returns when it does; cancelling the calling task fires the
    /// signal `body` is given. For drivers whose device calls block (libusb, termios).
    public static func runOnThread(named name: String, _ body: @escaping @Sendable (StopSignal) -> Void) async {
        let stop = StopSignal()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    body(stop)
                    finished.resume()
                }
                thread.name = name
                thread.start()
            }
        } onCancel: {
            stop.fire()
        }
    }
}
