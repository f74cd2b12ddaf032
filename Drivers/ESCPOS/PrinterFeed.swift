import Foundation
import GatewayCore
import Logging

/// The bounded buffer between the POS and the printer, and the thread that empties it into the printer.
///
/// The input thread only appends and never waits on the printer: a slow, stuck or unplugged printer
/// costs printed paper, not ingestion. While the printer is away bytes wait here, up to `capacity`;
/// past that new bytes are dropped, counted and reported (`reader.status` `dropping`). The writer
/// reopens a vanished printer every `retryInterval` and goes on with what is still queued.
final class PrinterFeed: @unchecked Sendable {
    // `condition` guards `queue`, `head`, `queued` and `finished`.
    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    private var head = 0
    private var queued = 0
    private var finished = false

    let capacity: Int
    let statistics: ESCPOSTapStatistics

    init(capacity: Int, statistics: ESCPOSTapStatistics) {
        self.capacity = capacity
        self.statistics = statistics
    }

    /// Queues bytes for the printer; `false` (and counted) when they do not fit.
    @discardableResult
    func enqueue(_ bytes: ArraySlice<UInt8>) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard queued + bytes.count <= capacity else {
            statistics.printerDropped(bytes.count)
            return false
        }
        queue.append(Array(bytes))
        queued += bytes.count
        condition.broadcast()
        return true
    }

    /// No more input: the writer empties the queue and stops.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Bytes waiting.
    var pending: Int {
        condition.lock()
        defer { condition.unlock() }
        return queued
    }

    /// The oldest chunk, waiting up to `timeout`; nil when none came.
    fileprivate func next(timeout: Duration) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(Double(timeout.milliseconds) / 1_000)
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count, !finished {
            if !condition.wait(until: deadline) { break }
        }
        return head < queue.count ? queue[head] : nil
    }

    /// Removes `count` bytes of the oldest chunk, which the printer took.
    fileprivate func consumed(_ count: Int) {
        condition.lock()
        defer { condition.unlock() }
        queued -= count
        if count >= queue[head].count {
            head += 1
            if head > 64, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
        } else {
            queue[head].removeFirst(count)
        }
        condition.broadcast()
    }

    /// Whether input is over and everything queued was written.
    fileprivate var drained: Bool {
        condition.lock()
        defer { condition.unlock() }
        return finished && head == queue.count
    }

    /// Waits until the queue is empty or `timeout` passes.
    func waitEmpty(timeout: Duration) {
        let deadline = Date().addingTimeInterval(Double(timeout.milliseconds) / 1_000)
        condition.lock()
        defer { condition.unlock() }
        while queued > 0 {
            if !condition.wait(until: deadline) { break }
        }
    }
}

/// What the printer thread does: open the printer, write what is queued, reopen when it goes away.
struct PrinterWriterLoop {
    static let writeTimeout: Int32 = 250

    let path: String
    let baud: Int
    let retryInterval: Duration
    let feed: PrinterFeed
    let sink: TransactionSink
    let stop: StopSignal
    let logger: Logger
    private var lastProblem: String?
    private var lost = false

    init(path: String, baud: Int, retryInterval: Duration, feed: PrinterFeed, sink: TransactionSink, stop: StopSignal, logger: Logger) {
        self.path = path
        self.baud = baud
        self.retryInterval = retryInterval
        self.feed = feed
        self.sink = sink
        self.stop = stop
        var logger = logger
        logger[metadataKey: "printer"] = "\(path)"
        self.logger = logger
    }

    private var retrying: String {
        let ms = retryInterval.milliseconds
        return "retrying every " + (ms % 1_000 == 0 ? "\(ms / 1_000)s" : "\(ms)ms") + "; up to \(feed.capacity) bytes are held for it"
    }

    mutating func run() {
        while !stop.isStopped, !feed.drained {
            let printer: TapDevice
            do {
                printer = try TapDevice(path: path, role: .printer, baud: baud)
            } catch {
                if error.code != .notFound || !lost {
                    problem(.error, "printer \(path) " + (error.code == .notFound ? "not found" : error.message) + "; \(retrying)")
                }
                stop.wait(timeout: retryInterval)
                continue
            }
            lastProblem = nil
            lost = false
            sink.report(.connected, "printer \(path) connected")
            logger.info("printer connected")
            if let failure = write(to: printer) {
                printer.close()
                logger.warning("printer lost", metadata: ["error": "\(failure.message)"])
                problem(.disconnected, "printer \(path) disconnected (\(failure.message)); \(retrying)")
                lost = true
                stop.wait(timeout: retryInterval)
            } else {
                printer.close()
                return
            }
        }
    }

    /// Writes queued bytes until stopped or drained (`nil`) or the printer fails (the error).
    private mutating func write(to printer: TapDevice) -> ESCPOSError? {
        while !stop.isStopped, !feed.drained {
            guard let chunk = feed.next(timeout: .milliseconds(250)) else { continue }
            do {
                let count = try printer.write(chunk[...], timeout: Self.writeTimeout)
                if count > 0 {
                    feed.consumed(count)
                    feed.statistics.printed(count)
                }
            } catch {
                return error
            }
        }
        return nil
    }

    private mutating func problem(_ state: ReaderStatus.State, _ message: String) {
        guard lastProblem != message else { return }
        lastProblem = message
        sink.report(state, message)
    }
}
