import GatewayCore
import Logging
import NIOCore
import NIOPosix

/// A fixed UHF reader (Impinj Speedway/R700, Zebra FX) spoken to over LLRP 1.0.1.
///
/// `run(into:)` connects, runs the session (wait for the reader's `ConnectionAttemptEvent`,
/// capabilities, keepalive, ROSpec), delivers reads until the link fails, then reconnects with
/// capped exponential back-off and jitter, starting over from the initial delay after every
/// session that got as far as `START_ROSPEC`. Cancelling the task closes the session gracefully
/// with `CLOSE_CONNECTION`. Faults are reported through the sink as `reader.status`, never thrown.
public struct LLRPReader: ReadSource {
    /// The reader's settings.
    public let configuration: LLRPReaderConfig
    /// Wire-level counters: sessions, reports, keepalives, malformed frames.
    public let statistics: LLRPReaderStatistics
    private let logger: Logger
    private let group: any EventLoopGroup

    /// Creates the driver for one reader; nothing happens until `run(into:)`.
    public init(configuration: LLRPReaderConfig, logger: Logger) {
        self.init(configuration: configuration, logger: logger, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
    }

    /// Creates the driver on a given event loop group.
    public init(configuration: LLRPReaderConfig, logger: Logger, eventLoopGroup: any EventLoopGroup) {
        self.configuration = configuration
        self.statistics = LLRPReaderStatistics()
        var logger = logger
        logger[metadataKey: "reader"] = "\(configuration.endpoint)"
        self.logger = logger
        self.group = eventLoopGroup
    }

    /// Connects and reads until the task is cancelled; reconnects on every failure.
    public func run(into sink: ReadSink) async throws {
        var backoff = Backoff(configuration.reconnect)
        let clock = ClockWatch()
        var lastReported: (state: ReaderStatus.State, code: LLRPError.Code)?
        let endpoint = configuration.endpoint
        while !Task.isCancelled {
            let outcome = await session(into: sink, clock: clock)
            if outcome.reachedStreaming {
                backoff.reset()
                lastReported = nil
            }
            if Task.isCancelled { break }
            let delay = backoff.next()
            let error = outcome.error ?? LLRPError(.connection, "the session ended")
            // Losing the link is a disconnect; a reader that refuses or garbles the session is a fault.
            let state: ReaderStatus.State = switch error.code {
            case .connection, .timeout, .truncated: .disconnected
            default: .error
            }
            let message = "\(outcome.reachedStreaming ? "lost" : "no session with") \(endpoint): \(error.message); "
                + "reconnecting in \(Self.describe(delay))"
            logger.info("\(message)")
            // A reader that stays down would otherwise repeat the same status every back-off.
            if lastReported?.state != state || lastReported?.code != error.code {
                sink.report(state, message)
                lastReported = (state, error.code)
            }
            do {
                try await Task.sleep(for: delay)
            } catch {
                break
            }
        }
        logger.info("stopped")
        sink.report(.disconnected, "disconnected from \(endpoint): the gateway is stopping")
    }

    /// One connection, from TCP connect to close.
    private func session(into sink: ReadSink, clock: ClockWatch) async -> SessionOutcome {
        statistics.connectionAttempted()
        let loop = group.next()
        let outcome = loop.makePromise(of: SessionOutcome.self)
        let environment = SessionEnvironment(configuration: configuration, sink: sink, statistics: statistics, clock: clock, logger: logger)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(LLRPFrameDecoder(maxFrameLength: environment.configuration.maxFrameLength)),
                        LLRPSessionHandler(environment: environment, outcome: outcome),
                    ])
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            let failure = LLRPError(.connection, "cannot connect to \(configuration.endpoint): \(Self.describe(error))")
            // A no-op when the handler already completed it while the channel was torn down.
            outcome.succeed(SessionOutcome(reachedStreaming: false, error: failure))
            return SessionOutcome(reachedStreaming: false, error: failure)
        }
        return await withTaskCancellationHandler {
            // Never fails: the handler always succeeds the promise, when the channel goes away.
            (try? await outcome.futureResult.get()) ?? SessionOutcome(reachedStreaming: false, error: nil)
        } onCancel: {
            channel.pipeline.fireUserInboundEventTriggered(GracefulCloseEvent())
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? ChannelError, case .connectTimeout(let amount) = error {
            return "no answer within \(amount.nanoseconds / 1_000_000) ms"
        }
        if let error = error as? IOError { return error.description }
        return "\(error)"
    }

    static func describe(_ delay: Duration) -> String {
        let ms = delay.milliseconds
        return ms < 1_000 ? "\(ms) ms" : "\(Double(ms / 100) / 10) s"
    }
}
