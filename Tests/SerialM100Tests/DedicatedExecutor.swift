import Foundation

/// A task executor with one thread of its own, for starting the reader under test.
///
/// Under a parallel `swift test` on a two-core machine the global pool has two threads, and other
/// suites' CPU-bound tests hold them for seconds: a reader task started there began 13 s after it
/// was created, past the test's 10 s deadline, which looked like frames lost on the pty (none were:
/// the driver had not started, or had just started). A task preferring this executor begins at once,
/// so the deadlines measure the driver and not the pool. The thread lives as long as the test process.
final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    /// The one the serial-reader tests share (they run one at a time).
    static let shared = DedicatedExecutor(name: "m100-tests")

    // NSCondition guards `jobs`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
