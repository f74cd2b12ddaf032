import Foundation
import GatewayCore
import Logging

/// What one serial reader's thread does from start to stop: open, poll, decode, and retry.
struct M100ReaderLoop {
    /// How long one read waits for bytes: the bound on noticing a stop.
    static let readTimeout: Int32 = 250

    let configuration: M100ReaderConfig
    let logger: Logger
    let sink: ReadSink
    let stop: StopSignal
    private var lastProblem: String?
    /// Set from a disconnect until the next connect: "not found" is then what retrying looks like, not news.
    private var lost = false
    private var decoder = M100FrameDecoder()
    private var reportedErrorCodes: Set<UInt8> = []
    /// Counters for the log: frames that were not what they claimed.
    private var malformedNotices = 0
    private var crcMismatches = 0

    init(configuration: M100ReaderConfig, logger: Logger, sink: ReadSink, stop: StopSignal) {
        self.configuration = configuration
        self.sink = sink
        self.stop = stop
        var logger = logger
        logger[metadataKey: "reader"] = "\(sink.source.name)"
        logger[metadataKey: "port"] = "\(configuration.path)"
        self.logger = logger
    }

    private var name: String { "serial reader \(configuration.path)" }
    private var retrying: String {
        let ms = configuration.retryInterval.milliseconds
        return "retrying every " + (ms % 1_000 == 0 ? "\(ms / 1_000)s" : "\(ms)ms")
    }

    mutating func run() {
        while !stop.isStopped {
            let port: SerialPort
            do {
                port = try SerialPort(path: configuration.path, baud: configuration.baud)
            } catch {
                if error.code == .notFound {
                    if !lost { problem(.error, "\(name) not found; \(retrying)") }
                } else {
                    problem(.error, "\(name): \(error.message); \(retrying)")
                }
                stop.wait(timeout: configuration.retryInterval)
                continue
            }
            lastProblem = nil
            lost = false
            sink.report(.connected, "\(name) connected at \(configuration.baud) baud")
            logger.info("serial reader connected", metadata: ["baud": "\(configuration.baud)"])
            decoder.reset()
            let failure = poll(port)
            if let failure {
                port.close()
                logger.warning("serial reader lost", metadata: ["error": "\(failure.message)"])
                problem(.disconnected, "\(name) disconnected (\(failure.message)); \(retrying)")
                lost = true
                stop.wait(timeout: configuration.retryInterval)
            } else {
                // Stopping: leave the reader quiet for whoever opens it next.
                do {
                    try port.write(M100Frame.stopPolling.encoded)
                    port.drain()
                } catch {
                    logger.debug("stop-polling not sent", metadata: ["error": "\(error.message)"])
                }
                port.close()
                logger.info("serial reader stopped", metadata: [
                    "discardedBytes": "\(decoder.discardedBytes)", "malformedNotices": "\(malformedNotices)", "crcMismatches": "\(crcMismatches)",
                ])
                return
            }
        }
    }

    /// Reports a problem unless it is the one already reported.
    private mutating func problem(_ state: ReaderStatus.State, _ message: String) {
        guard lastProblem != message else { return }
        lastProblem = message
        sink.report(state, message)
    }

    /// Polls until stopped (`nil`) or the port fails (the error).
    private mutating func poll(_ port: SerialPort) -> M100Error? {
        let clock = ContinuousClock()
        let start = M100Frame.multiplePolling(rounds: configuration.pollingRounds).encoded
        var buffer = [UInt8](repeating: 0, count: 4_096)
        do {
            try port.write(start)
            var lastHeard = clock.now
            while !stop.isStopped {
                let count = try port.read(into: &buffer, timeout: Self.readTimeout)
                if count > 0 {
                    decoder.append(buffer[0..<count])
                    while let frame = decoder.next() {
                        lastHeard = clock.now
                        handle(frame)
                    }
                }
                if clock.now - lastHeard > configuration.restartAfterSilence {
                    // The rounds ran out, or the reader reset: start polling again.
                    logger.debug("no frames; restarting multiple polling")
                    try port.write(start)
                    lastHeard = clock.now
                }
            }
            return nil
        } catch {
            return error
        }
    }

    private mutating func handle(_ frame: M100Frame) {
        if let code = frame.errorCode {
            guard code != M100Frame.ErrorCode.noTag else { return }
            if reportedErrorCodes.insert(code).inserted {
                logger.warning("reader reported an error", metadata: ["code": "0x\(M100Frame.hex(code))"])
            }
            return
        }
        guard frame.type == .notice, frame.command == M100Frame.Command.singleInventory else {
            logger.trace("frame ignored", metadata: ["frame": "\(frame)"])
            return
        }
        let notice: M100TagNotice
        do {
            notice = try M100TagNotice(frame: frame)
        } catch {
            malformedNotices += 1
            logger.debug("tag notice ignored", metadata: ["error": "\(error.message)"])
            return
        }
        if !notice.crcMatches { crcMismatches += 1 }
        guard let tag = TagID(bytes: notice.epc) else { return }
        let read = TagRead(tag: tag, kind: .epc, source: sink.source.index, antenna: configuration.antenna, rssi: notice.centiDBm,
                           timestamp: .now())
        if !sink.push(read) { logger.trace("read dropped: the ring is full") }
    }
}
