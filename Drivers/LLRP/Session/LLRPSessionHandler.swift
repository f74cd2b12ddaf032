import GatewayCore
import Logging
import NIOCore

/// What a session needs from its reader: settings, where reads go, counters, shared clock state.
struct SessionEnvironment: Sendable {
    var configuration: LLRPReaderConfig
    var sink: ReadSink
    var statistics: LLRPReaderStatistics
    var clock: ClockWatch
    var logger: Logger
}

/// How a session ended.
struct SessionOutcome: Sendable {
    /// The session got as far as `START_ROSPEC`: the back-off starts over.
    var reachedStreaming: Bool
    /// Why it ended; `nil` after a graceful close.
    var error: LLRPError?
}

/// Asks a session to send `CLOSE_CONNECTION` and close: the gateway is stopping.
struct GracefulCloseEvent: Sendable {}

/// Runs one LLRP session on the event loop: the handshake of §1, then reports and keepalives.
///
/// Protocol state lives here, on the channel's event loop, so a `KEEPALIVE` is acknowledged and a
/// report decoded without hopping threads; the async driver loop only starts connections and
/// waits for their outcome.
final class LLRPSessionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = [UInt8]
    typealias OutboundOut = ByteBuffer

    enum Step: Equatable, CustomStringConvertible {
        case awaitingConnectionEvent, capabilities, readerConfig, deleteAll, deleteOwn, addROSpec, enableROSpec, startROSpec
        case streaming, closing

        /// The response this step waits for.
        var expected: LLRPMessageType? {
            switch self {
            case .capabilities: .getReaderCapabilitiesResponse
            case .readerConfig: .setReaderConfigResponse
            case .deleteAll, .deleteOwn: .deleteROSpecResponse
            case .addROSpec: .addROSpecResponse
            case .enableROSpec: .enableROSpecResponse
            case .startROSpec: .startROSpecResponse
            case .closing: .closeConnectionResponse
            case .awaitingConnectionEvent, .streaming: nil
            }
        }

        var description: String {
            switch self {
            case .awaitingConnectionEvent: "the ConnectionAttemptEvent"
            default: expected?.description ?? "streaming"
            }
        }
    }

    private let environment: SessionEnvironment
    private let outcome: EventLoopPromise<SessionOutcome>
    private let conversion: ReadConversion
    private let delivery: ReadDelivery
    private let logger: Logger
    private var step = Step.awaitingConnectionEvent
    private var nextMessageID: UInt32 = 1
    private var stepDeadline = NIODeadline.now()
    private var lastInbound = NIODeadline.now()
    private var timer: Scheduled<Void>?
    private var closeTimer: Scheduled<Void>?
    private var failure: LLRPError?
    private var reachedStreaming = false
    private var closeRequested = false
    private var finished = false
    private var malformedInSession = 0
    private var unsupportedInSession = 0
    private var clockInFallback: Bool
    private var readerDescription = ""
    private var reads: [TagRead] = []

    private var configuration: LLRPReaderConfig { environment.configuration }
    private var endpoint: String { environment.configuration.endpoint }

    init(environment: SessionEnvironment, outcome: EventLoopPromise<SessionOutcome>) {
        self.environment = environment
        self.outcome = outcome
        self.logger = environment.logger
        self.conversion = ReadConversion(source: environment.sink.source.index,
                                         clockToleranceMicros: UInt64(max(0, environment.configuration.clockTolerance.milliseconds)) * 1_000)
        self.delivery = ReadDelivery(sink: environment.sink, statistics: environment.statistics)
        self.clockInFallback = environment.clock.inFallback
    }

    // MARK: Channel events

    func channelActive(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        lastInbound = now
        stepDeadline = now + .init(configuration.responseTimeout)
        logger.debug("connected; waiting for the reader's ConnectionAttemptEvent")
        armTimer(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        lastInbound = .now()
        let message: LLRPMessage
        do {
            message = try LLRPMessage.decode(bytes)
        } catch {
            malformed(error, bytes: bytes, context: context)
            return
        }
        switch message.body {
        case .keepalive:
            environment.statistics.keepaliveReceived()
            send(LLRPMessage(id: message.id, .keepaliveAck), context: context)
        case .roAccessReport(let report):
            deliver(report, context: context)
        case .readerEventNotification(let data):
            handle(event: data, context: context)
        default:
            handle(response: message, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is GracefulCloseEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        closeRequested = true
        guard context.channel.isActive, step != .closing else { return }
        step = .closing
        logger.debug("closing: sending CLOSE_CONNECTION")
        send(LLRPMessage(id: takeMessageID(), .closeConnection), context: context)
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .init(configuration.closeTimeout)) {
            self.logger.debug("no CLOSE_CONNECTION_RESPONSE in time; closing anyway")
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? LLRPError {
            if error.code == .malformedFrame || error.code == .truncated { environment.statistics.malformedFrame() }
            fail(error, context: context)
        } else if !closeRequested {
            fail(LLRPError(.connection, "the connection failed: \(error)"), context: context)
        } else {
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if failure == nil, !closeRequested {
            failure = LLRPError(.connection, step == .awaitingConnectionEvent
                ? "the reader closed the connection before accepting the session"
                : "the reader closed the connection")
        }
        finish(context: context)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish(context: context)
    }

    // MARK: Session steps

    private func handle(event: ReaderEventNotificationData, context: ChannelHandlerContext) {
        if let status = event.connectionAttempt {
            if step == .awaitingConnectionEvent {
                guard status == .success else {
                    fail(LLRPError(.connectionRefused, "the reader refused the session: \(status) (ConnectionAttemptEvent status \(status.rawValue))"),
                         context: context)
                    return
                }
                request(.getReaderCapabilities(requestedData: 0), next: .capabilities, context: context)
            } else if status == .anotherConnectionAttempted {
                logger.info("another client tried to connect to the reader")
            }
        }
        if event.connectionClose, step != .closing {
            fail(LLRPError(.connection, "the reader announced it is closing the connection"), context: context)
        }
        if event.reportBufferOverflow { logger.info("the reader's report buffer overflowed: it dropped reports") }
        if let level = event.reportBufferLevelWarning { logger.info("the reader's report buffer is \(level)% full") }
        if let text = event.readerException { logger.info("reader exception: \(text)") }
        if let antenna = event.antennaEvent {
            logger.info("antenna \(antenna.antennaID) \(antenna.eventType == 0 ? "disconnected" : "connected")")
        }
    }

    private func handle(response message: LLRPMessage, context: ChannelHandlerContext) {
        guard let status = message.body.status, let expected = step.expected,
              message.type == expected || message.type == .errorMessage else {
            logger.debug("ignoring \(message.type) (id \(message.id)) while waiting for \(step)")
            return
        }
        let refused = message.type == .errorMessage || !status.isSuccess
        switch step {
        case .capabilities:
            if case .getReaderCapabilitiesResponse(let capabilities) = message.body, let general = capabilities.general {
                readerDescription = Self.describe(general)
                logger.info("reader capabilities", metadata: [
                    "manufacturer": "\(general.deviceManufacturer)", "model": "\(general.model)",
                    "firmware": "\(general.firmwareVersion)", "antennas": "\(general.maxNumberOfAntennas)",
                    "utcClock": "\(general.hasUTCClock)",
                ])
            } else if refused {
                // Informational only: the session works without it.
                logger.info("GET_READER_CAPABILITIES failed (\(status.summary)); carrying on")
            }
            let keepalive = UInt32(clamping: max(1, configuration.keepalive.milliseconds))
            request(.setReaderConfig(resetToFactoryDefaults: false, configuration: ReaderConfiguration(keepaliveSpec: .periodic(milliseconds: keepalive))),
                    next: .readerConfig, context: context)
        case .readerConfig:
            guard !refused else {
                fail(LLRPError(.readerError, "the reader refused SET_READER_CONFIG (keepalive): \(status.summary)"), context: context)
                return
            }
            request(.deleteROSpec(id: 0), next: .deleteAll, context: context)
        case .deleteAll:
            if refused {
                // Some readers reject id 0 ("all"); deleting our own id clears what a previous session left.
                logger.debug("DELETE_ROSPEC 0 refused (\(status.summary)); deleting ROSpec \(configuration.roSpecID) instead")
                request(.deleteROSpec(id: configuration.roSpecID), next: .deleteOwn, context: context)
            } else {
                request(.addROSpec(Self.roSpec(for: configuration)), next: .addROSpec, context: context)
            }
        case .deleteOwn:
            if refused { logger.debug("DELETE_ROSPEC \(configuration.roSpecID) refused (\(status.summary)); probably none to delete") }
            request(.addROSpec(Self.roSpec(for: configuration)), next: .addROSpec, context: context)
        case .addROSpec:
            guard !refused else {
                fail(LLRPError(.readerError, "the reader refused ADD_ROSPEC: \(status.summary)"), context: context)
                return
            }
            request(.enableROSpec(id: configuration.roSpecID), next: .enableROSpec, context: context)
        case .enableROSpec:
            guard !refused else {
                fail(LLRPError(.readerError, "the reader refused ENABLE_ROSPEC \(configuration.roSpecID): \(status.summary)"), context: context)
                return
            }
            request(.startROSpec(id: configuration.roSpecID), next: .startROSpec, context: context)
        case .startROSpec:
            // The start trigger is immediate, so a refusal usually means the spec already runs.
            if refused { logger.info("START_ROSPEC refused (\(status.summary)); the immediate trigger has started it") }
            beginStreaming(context: context)
        case .closing:
            context.close(promise: nil)
        case .awaitingConnectionEvent, .streaming:
            break
        }
    }

    private func beginStreaming(context: ChannelHandlerContext) {
        step = .streaming
        reachedStreaming = true
        lastInbound = .now()
        environment.statistics.sessionStarted()
        let antennas = configuration.antennas == [0] ? "all antennas" : "antennas " + configuration.antennas.map(String.init).joined(separator: ", ")
        let message = "connected to \(endpoint)\(readerDescription): reading \(antennas), \(configuration.reportEveryTags) tag(s) per report, "
            + "keepalive \(configuration.keepalive.milliseconds) ms"
        logger.info("\(message)")
        environment.sink.report(.connected, message)
    }

    /// The ROSpec this driver adds: immediate start, no stop, one Gen2 inventory over the configured
    /// antennas, a report every N tags with antenna, peak RSSI and first-seen time.
    static func roSpec(for configuration: LLRPReaderConfig) -> ROSpec {
        ROSpec(id: configuration.roSpecID, priority: 0, currentState: 0,
               boundary: ROBoundarySpec(start: .immediate, stop: .null),
               aiSpecs: [AISpec(antennaIDs: configuration.antennas, stopTrigger: .null,
                                inventoryParameterSpecs: [InventoryParameterSpec(id: 1, protocolID: 1)])],
               reportSpec: ROReportSpec(trigger: 2, n: UInt16(clamping: configuration.reportEveryTags),
                                        contentSelector: TagReportContentSelector(fields: [.antennaID, .peakRSSI, .firstSeenTimestamp])))
    }

    private static func describe(_ general: GeneralDeviceCapabilities) -> String {
        let maker = switch general.deviceManufacturer {
        case LLRPCustomParameter.impinjVendorID: "Impinj"
        case LLRPCustomParameter.zebraVendorID: "Zebra"
        default: "vendor \(general.deviceManufacturer)"
        }
        return " (\(maker) model \(general.model), firmware \(general.firmwareVersion))"
    }

    // MARK: Reads

    private func deliver(_ report: ROAccessReport, context: ChannelHandlerContext) {
        environment.statistics.reportDecoded()
        reads.removeAll(keepingCapacity: true)
        let now = Timestamp.now()
        let result = conversion.convert(report, hostNow: now, into: &reads)
        if result.unsupported > 0 {
            environment.statistics.unsupportedTags(result.unsupported)
            unsupportedInSession += result.unsupported
            logger.log(level: unsupportedInSession == result.unsupported ? .info : .debug,
                       "skipped \(result.unsupported) tag(s) with an empty EPC or one longer than 512 bits")
        }
        if result.implausible > 0 {
            environment.statistics.clockFallback(result.implausible)
            if !clockInFallback, let readerTime = result.implausibleReaderTime {
                clockInFallback = true
                if environment.clock.enterFallback() {
                    let message = "the clock of \(endpoint) is implausible (it reads \(Timestamp(microseconds: readerTime).rfc3339), "
                        + "the host \(now.rfc3339)): reads are stamped with the host's receive time until it is set"
                    logger.info("\(message)")
                    environment.sink.report(.error, message)
                }
            }
        } else if result.plausible > 0, clockInFallback {
            clockInFallback = false
            if environment.clock.leaveFallback() { logger.info("the reader's clock is plausible again; using its timestamps") }
        }
        if !reads.isEmpty { delivery.push(reads, channel: context.channel) }
    }

    // MARK: Faults

    private func malformed(_ error: any Error, bytes: [UInt8], context: ChannelHandlerContext) {
        environment.statistics.malformedFrame()
        malformedInSession += 1
        let header = try? LLRPMessageHeader(decoding: bytes)
        let what = header.map { "\($0.type) (id \($0.id), \(bytes.count) bytes)" } ?? "frame of \(bytes.count) bytes"
        logger.log(level: malformedInSession == 1 ? .info : .debug, "malformed \(what): \(error)")
        if let header, let expected = step.expected, header.type == expected || header.type == .errorMessage {
            // The answer the handshake waits for is unreadable: start over rather than stall.
            fail(LLRPError(.invalidValue, "the reader sent a malformed \(what) in answer to a request: \(error)"), context: context)
            return
        }
        if malformedInSession == 1 {
            // The framing is intact (the length was sound), so the stream stays in step: skip and carry on.
            environment.sink.report(.error, "\(endpoint) sent a malformed \(what): \(error); skipped it and carried on")
        }
    }

    private func fail(_ error: LLRPError, context: ChannelHandlerContext) {
        if failure == nil {
            failure = error
            logger.debug("session failed: \(error.message)")
        }
        context.close(promise: nil)
    }

    // MARK: Plumbing

    private func takeMessageID() -> UInt32 {
        defer { nextMessageID = nextMessageID == UInt32.max ? 1 : nextMessageID + 1 }
        return nextMessageID
    }

    private func request(_ body: LLRPMessage.Body, next: Step, context: ChannelHandlerContext) {
        step = next
        stepDeadline = .now() + .init(configuration.responseTimeout)
        send(LLRPMessage(id: takeMessageID(), body), context: context)
    }

    private func send(_ message: LLRPMessage, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: message.encode())), promise: nil)
    }

    private var tickInterval: TimeAmount {
        let shortest = min(configuration.keepalive, configuration.responseTimeout)
        return .milliseconds(max(5, shortest.milliseconds / 4))
    }

    private func armTimer(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: tickInterval) {
            self.tick(context: context)
        }
    }

    /// The watchdog: silence for twice the keepalive while streaming, or a request left unanswered.
    private func tick(context: ChannelHandlerContext) {
        guard !finished, context.channel.isActive else { return }
        let now = NIODeadline.now()
        switch step {
        case .streaming:
            if delivery.isHoldingBack { lastInbound = now }
            let limit = TimeAmount(configuration.keepalive) * 2
            if now - lastInbound > limit {
                fail(LLRPError(.timeout, "no message from the reader for \((now - lastInbound).nanoseconds / 1_000_000) ms "
                        + "(keepalive every \(configuration.keepalive.milliseconds) ms): the link is dead"), context: context)
                return
            }
        case .closing:
            break
        default:
            if now > stepDeadline {
                fail(LLRPError(.timeout, "no \(step) within \(configuration.responseTimeout.milliseconds) ms"), context: context)
                return
            }
        }
        armTimer(context: context)
    }

    private func finish(context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        closeTimer?.cancel()
        let result = SessionOutcome(reachedStreaming: reachedStreaming, error: closeRequested && failure == nil ? nil : failure)
        let outcome = self.outcome
        delivery.whenDrained(on: context.eventLoop).whenComplete { _ in outcome.succeed(result) }
    }
}
