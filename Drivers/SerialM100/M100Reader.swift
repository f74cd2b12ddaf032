import Foundation
import GatewayCore
import Logging

/// A MagicRF M100 / R200 UHF reader on a USB-serial port: `driver: m100`.
///
/// Opens the tty raw at the configured speed, starts multiple polling, and turns each tag notice
/// into a `TagRead` of kind `.epc`. Garbage on the line costs at most the frame it hits. On
/// shutdown it sends stop-polling so the reader is left quiet. A port that is missing at start,
/// or vanishes (unplugged), is reported through `reader.status` and tried again every `retryInterval`.
public struct M100Reader: ReadSource {
    /// The reader's settings.
    public let configuration: M100ReaderConfig
    private let logger: Logger

    /// Creates a reader; nothing is opened until `run(into:)`.
    public init(configuration: M100ReaderConfig, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Reads tags into `sink` until the task is cancelled, then stops polling and closes the port.
    ///
    /// The blocking port I/O runs on a dedicated thread, which notices cancellation within a read timeout (250 ms).
    public func run(into sink: ReadSink) async throws {
        let configuration = configuration
        let logger = logger
        await StopSignal.runOnThread(named: "m100 \(configuration.path)") { stop in
            var loop = M100ReaderLoop(configuration: configuration, logger: logger, sink: sink, stop: stop)
            loop.run()
        }
    }
}
