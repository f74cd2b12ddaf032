import Foundation
import GatewayCore
import Logging

/// The ESC/POS printer tap: `driver: escpos`, `kind: transactions`.
///
/// Sits on the cable between a POS and its receipt printer. Every byte the POS sends is passed on
/// to the printer first, unchanged and in order, through a bounded buffer a second thread empties,
/// so the printer's speed never holds up reading. Only then is the byte parsed; each receipt (ended
/// by a cut) is read with the layout rules and pushed as a low-confidence `PosTransaction`. Either
/// device missing or vanishing is reported through `reader.status` and retried, never fatal.
public struct ESCPOSTap: TransactionSource {
    /// The tap's settings.
    public let configuration: ESCPOSTapConfig
    /// Its counters.
    public let statistics: ESCPOSTapStatistics
    private let logger: Logger

    /// Creates a tap; nothing is opened until `run(into:)`.
    public init(configuration: ESCPOSTapConfig, logger: Logger, statistics: ESCPOSTapStatistics = ESCPOSTapStatistics()) {
        self.configuration = configuration
        self.logger = logger
        self.statistics = statistics
    }

    /// Taps the input until the task is cancelled; then what is queued for the printer gets up to two seconds to go out.
    public func run(into sink: TransactionSink) async throws {
        let configuration = configuration
        let logger = logger
        let statistics = statistics
        await StopSignal.runOnThread(named: "escpos \(configuration.input)") { stop in
            let feed = configuration.printer.map { _ in PrinterFeed(capacity: configuration.printerBuffer, statistics: statistics) }
            let printerStop = StopSignal()
            let printerDone = StopSignal()
            if let feed, let path = configuration.printer {
                let thread = Thread {
                    var writer = PrinterWriterLoop(path: path, baud: configuration.printerBaud, retryInterval: configuration.retryInterval,
                                                   feed: feed, sink: sink, stop: printerStop, logger: logger)
                    writer.run()
                    printerDone.fire()
                }
                thread.name = "escpos printer \(path)"
                thread.start()
            }
            var loop = ESCPOSTapLoop(configuration: configuration, logger: logger, sink: sink, stop: stop, feed: feed, statistics: statistics)
            loop.run()
            if let feed {
                feed.finish()
                feed.waitEmpty(timeout: .seconds(2))
                printerStop.fire()
                printerDone.wait(timeout: .seconds(5))
                let left = feed.pending
                if left > 0 {
                    statistics.printerDropped(left)
                    logger.warning("printer bytes not written at shutdown", metadata: ["bytes": "\(left)"])
                }
            }
        }
    }
}

/// What the input thread does from start to stop: open, read, pass on, parse, and retry.
struct ESCPOSTapLoop {
    /// How long one read waits for bytes: the bound on noticing a stop or an idle receipt.
    static let readTimeout: Int32 = 100

    let configuration: ESCPOSTapConfig
    let logger: Logger
    let sink: TransactionSink
    let stop: StopSignal
    let feed: PrinterFeed?
    let statistics: ESCPOSTapStatistics
    private var parser: ESCPOSParser
    private let layout: ReceiptLayout.Compiled
    private var lastProblem: String?
    private var lost = false
    private var reported = ESCPOSParser.Counters()
    private var reportedPrinterDrops: UInt64 = 0
    private var lastDropReport = ContinuousClock.now - .seconds(3_600)

    init(configuration: ESCPOSTapConfig, logger: Logger, sink: TransactionSink, stop: StopSignal, feed: PrinterFeed?,
         statistics: ESCPOSTapStatistics) {
        self.configuration = configuration
        self.sink = sink
        self.stop = stop
        self.feed = feed
        self.statistics = statistics
        var logger = logger
        logger[metadataKey: "source"] = "\(sink.source.name)"
        logger[metadataKey: "input"] = "\(configuration.input)"
        self.logger = logger
        parser = ESCPOSParser(codePage: configuration.codePage, limits: configuration.limits)
        layout = configuration.layout.compile()
    }

    private var name: String { "printer tap input \(configuration.input)" }
    private var retrying: String {
        let ms = configuration.retryInterval.milliseconds
        return "retrying every " + (ms % 1_000 == 0 ? "\(ms / 1_000)s" : "\(ms)ms")
    }

    mutating func run() {
        while !stop.isStopped {
            let input: TapDevice
            do {
                input = try TapDevice(path: configuration.input, role: .input, baud: configuration.baud)
            } catch {
                if error.code != .notFound || !lost {
                    problem(.error, "\(name) " + (error.code == .notFound ? "not found" : error.message) + "; \(retrying)")
                }
                stop.wait(timeout: configuration.retryInterval)
                continue
            }
            lastProblem = nil
            lost = false
            sink.report(.connected, "\(name) connected at \(configuration.baud) baud")
            logger.info("printer tap input connected")
            let failure = read(input)
            input.close()
            if parser.reset() {
                // The rest of that receipt, if it ever comes, starts mid-stream; what was read is not a whole sale.
                statistics.abandoned()
                logger.warning("receipt in progress abandoned: the input went away before the cut")
            }
            guard let failure else { break }
            logger.warning("printer tap input lost", metadata: ["error": "\(failure.message)"])
            problem(.disconnected, "\(name) disconnected (\(failure.message)); \(retrying)")
            lost = true
            stop.wait(timeout: configuration.retryInterval)
        }
        let s = statistics.snapshot
        logger.info("printer tap stopped", metadata: [
            "bytesIn": "\(s.bytesIn)", "bytesPrinted": "\(s.bytesPrinted)", "printerDroppedBytes": "\(s.printerDroppedBytes)",
            "transactions": "\(s.transactions)", "nonSales": "\(s.nonSales)", "unknownCommands": "\(s.parser.unknownCommands)",
        ])
    }

    /// Reads until stopped (`nil`) or the input fails (the error).
    private mutating func read(_ input: TapDevice) -> ESCPOSError? {
        let clock = ContinuousClock()
        var buffer = [UInt8](repeating: 0, count: 4_096)
        var lastByte = clock.now
        while !stop.isStopped {
            let count: Int
            do {
                count = try input.read(into: &buffer, timeout: Self.readTimeout)
            } catch {
                return error
            }
            if count > 0 {
                lastByte = clock.now
                statistics.received(count)
                // The printer first: parsing must never hold up or change what it prints.
                feed?.enqueue(buffer[0..<count])
                for receipt in parser.feed(buffer[0..<count]) { handle(receipt) }
            } else if let timeout = configuration.receiptTimeout, parser.hasPendingText, clock.now - lastByte >= timeout,
                      let receipt = parser.endReceipt(.idle) {
                handle(receipt)
            }
            noteCounters()
        }
        return nil
    }

    private mutating func handle(_ receipt: ESCPOSReceipt) {
        do {
            let transaction = try layout.transaction(from: receipt)
            statistics.transaction()
            logger.debug("receipt read", metadata: [
                "sequence": "\(transaction.sequenceNumber)", "lines": "\(transaction.lines.count)", "total": "\(transaction.total)",
                "flags": "\(transaction.flags.joined(separator: ","))",
            ])
            if !sink.push(transaction) { logger.debug("transaction not pushed: the gateway is stopping") }
        } catch where error.code == .notASale {
            statistics.nonSale()
            logger.info("receipt is not a sale", metadata: ["reason": "\(error.message)"])
        } catch {
            statistics.rejected()
            logger.warning("receipt refused", metadata: ["error": "\(error.message)"])
            sink.report(.error, "\(name): receipt refused: \(error.message)")
        }
    }

    /// Publishes what the parser and the printer buffer dropped since the last look.
    private mutating func noteCounters() {
        let counters = parser.counters
        if counters != reported {
            statistics.parserCounters(counters)
            if counters.oversizeReceipts > reported.oversizeReceipts {
                sink.report(.error, "\(name): a receipt was dropped: more than \(configuration.limits.maxReceiptSize) characters before a cut "
                    + "(\(counters.oversizeReceipts) so far; maxReceiptSize)")
            }
            if counters.truncatedLines > reported.truncatedLines {
                logger.info("receipt lines cut off at maxLineLength", metadata: ["total": "\(counters.truncatedLines)"])
            }
            if counters.unknownCommands > reported.unknownCommands {
                logger.debug("unknown ESC/POS commands skipped", metadata: ["total": "\(counters.unknownCommands)"])
            }
            reported = counters
        }
        let drops = statistics.snapshot.printerDroppedBytes
        if drops > reportedPrinterDrops, ContinuousClock.now - lastDropReport >= configuration.retryInterval {
            reportedPrinterDrops = drops
            lastDropReport = .now
            sink.report(.dropping, "printer \(configuration.printer ?? "-"): buffer of \(configuration.printerBuffer) bytes full; "
                + "\(drops) bytes not printed so far")
        }
    }

    private mutating func problem(_ state: ReaderStatus.State, _ message: String) {
        guard lastProblem != message else { return }
        lastProblem = message
        sink.report(state, message)
    }
}
