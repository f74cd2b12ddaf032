import Foundation

/// Tells a driver thread to stop, and lets it wait for that with a timeout instead of sleeping blind.
final class StopSignal: @unchecked Sendable {
    // NSCondition guards `stopped`; every access goes through it.
    private let condition = NSCondition()
    private var stopped = false

    /// Asks the thread to stop; wakes it if it is waiting.
    func fire() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Whether a stop was asked for.
    var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    /// Waits until stopped or `timeout` passes; returns whether it was stopped.
    @discardableResult
    func wait(timeout: Duration) -> Bool {
        let deadline = Date().addingTimeInterval(Double(timeout.milliseconds) / 1_000)
        condition.lock()
        defer { condition.unlock() }
        while !stopped {
            if !condition.wait(until: deadline) { break }
        }
        return stopped
    }
}
