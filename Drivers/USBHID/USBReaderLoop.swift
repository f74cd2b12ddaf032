import CLibUSB
import GatewayCore
import Logging

/// What one badge reader's thread does from start to stop: find, open, read, and retry.
///
/// All libusb work happens on the reader's own thread and never on the cooperative pool. Reports
/// are read with libusb's asynchronous API and events handled in short slices, so a stop request
/// is noticed within a slice and no call waits for a device without a deadline of ours.
struct USBReaderLoop {
    /// How long one interrupt transfer waits for a report before it is cancelled and submitted again.
    static let transferTimeout: Duration = .milliseconds(500)
    /// How long one round of libusb event handling lasts: the bound on noticing a stop or a departure.
    static let eventSlice: Duration = .milliseconds(100)
    /// How long a stopping reader waits for its cancelled transfer before giving it up with the handle.
    static let stopGrace: Duration = .milliseconds(250)
    /// Transfer errors in a row (other than timeouts) after which the device is reopened.
    static let errorLimit = 5

    let configuration: USBHIDReaderConfig
    let logger: Logger
    let sink: ReadSink
    let stop: StopSignal
    private var decoder: BootKeyboardDecoder
    /// The last problem reported, so a retry loop says it once, not every round.
    private var lastProblem: String?
    /// Set from an unplug until the next connect: "not found" is then what retrying looks like, not news.
    private var lost = false

    init(configuration: USBHIDReaderConfig, logger: Logger, sink: ReadSink, stop: StopSignal) {
        self.configuration = configuration
        self.sink = sink
        self.stop = stop
        var logger = logger
        logger[metadataKey: "reader"] = "\(sink.source.name)"
        logger[metadataKey: "usb"] = "\(configuration.deviceID)"
        self.logger = logger
        decoder = BootKeyboardDecoder(debounce: configuration.debounce, letterCase: configuration.letterCase,
                                      keystrokeTimeout: configuration.keystrokeTimeout)
    }

    /// "USB reader 08ff:0009 at port 1-2": how messages name the configured reader.
    var name: String {
        var text = "USB reader \(configuration.deviceID)"
        if let port = configuration.port { text += " at port \(port)" }
        if let serial = configuration.serial { text += " with serial \(serial)" }
        return text
    }

    private var retrying: String { "retrying every \(Self.format(configuration.retryInterval))" }

    /// Looks for the reader, reads it while it is there, and looks again after it goes, until stopped.
    ///
    /// Each round starts a fresh libusb context, so each look is a fresh scan of the bus: with udev,
    /// libusb's device list is kept by hotplug events alone, and one lost event would otherwise hide a
    /// replugged reader for good. Hotplug only cuts the wait between rounds short.
    mutating func run() {
        while !stop.isStopped {
            let context: USBContext
            do {
                context = try USBContext()
            } catch {
                problem(.error, "\(error.message); \(retrying)")
                stop.wait(timeout: configuration.retryInterval)
                continue
            }
            let hotplug = HotplugWatch(context: context, vendorID: configuration.vendorID, productID: configuration.productID)
            switch open(in: context) {
            case .success(let session):
                lastProblem = nil
                lost = false
                sink.report(.connected, "\(name) connected at \(session.device.portPath) (bus \(session.device.bus), address \(session.device.address))")
                logger.info("reader connected", metadata: ["port": "\(session.device.portPath)", "endpoint": "\(session.interface.endpoint)",
                                                           "hotplug": "\(hotplug.isActive)"])
                let outcome = read(session, hotplug: hotplug)
                session.handle.close()
                decoder.reset()
                switch outcome {
                case .stopped:
                    return
                case .unplugged:
                    logger.warning("reader unplugged", metadata: ["port": "\(session.device.portPath)"])
                    problem(.disconnected, "\(name) unplugged from \(session.device.portPath); \(retrying)")
                    lost = true
                case .failed(let error):
                    logger.warning("reader failing; reopening", metadata: ["error": "\(error.message)"])
                    problem(.error, "\(error.message); reopening, \(retrying)")
                }
            case .failure(let error):
                if error.code == .notFound {
                    if !lost { problem(.error, "\(name) not found; \(retrying)") }
                } else {
                    problem(.error, "\(error.message); \(retrying)")
                }
            }
            hotplug.wait(configuration.retryInterval, stop: stop)
        }
    }

    /// Reports a problem unless it is the one already reported.
    private mutating func problem(_ state: ReaderStatus.State, _ message: String) {
        guard lastProblem != message else { return }
        lastProblem = message
        logger.debug("status", metadata: ["state": "\(state.rawValue)", "message": "\(message)"])
        sink.report(state, message)
    }

    // MARK: Opening

    struct Session {
        var device: USBDevice
        var handle: USBDeviceHandle
        var interface: USBDevice.HIDInterface
    }

    /// Opens the first matching device that is free; several identical readers each take their own.
    private func open(in context: USBContext) -> Result<Session, USBHIDError> {
        let candidates: [USBDevice]
        do {
            candidates = try context.devices()
                .filter { $0.vendorID == configuration.vendorID && $0.productID == configuration.productID }
                .filter { configuration.port == nil || $0.portPath == configuration.port }
                .sorted { $0.portPath < $1.portPath }
        } catch {
            return .failure(error)
        }
        var lastError = USBHIDError(.notFound, "\(name) not found")
        for device in candidates {
            guard let interface = device.hidInterface else {
                lastError = USBHIDError(.noHIDInterface, "\(name) at \(device.portPath) has no HID interface with an interrupt IN endpoint")
                continue
            }
            do throws(USBHIDError) {
                let handle = try USBDeviceHandle(opening: device, name: configuration.deviceID)
                if let serial = configuration.serial {
                    let actual = handle.string(at: device.serialIndex)
                    guard actual == serial else {
                        handle.close()
                        continue
                    }
                }
                do throws(USBHIDError) {
                    try handle.claim(interface.number, name: configuration.deviceID)
                } catch {
                    handle.close()
                    throw error
                }
                return .success(Session(device: device, handle: handle, interface: interface))
            } catch {
                // Busy: another reader (or program) has this one; an identical reader may still be free.
                lastError = error
            }
        }
        return .failure(lastError)
    }

    // MARK: Reading

    enum Outcome {
        case stopped
        case unplugged
        case failed(USBHIDError)
    }

    /// Why the transfer in flight was cancelled.
    private enum Cancel {
        /// Our own transfer timeout: no report for a while, which is normal; the transfer is submitted again.
        case timeout
        /// A stop request.
        case stop
        /// libusb announced the device gone.
        case departed
    }

    /// Reads reports until stopped, unplugged or failing, with one interrupt transfer kept in flight.
    ///
    /// Nothing here waits without a deadline: events are handled in slices of ``eventSlice``, a transfer
    /// with no report is cancelled after ``transferTimeout`` (proving the device still answers) and
    /// submitted again, and one that does not come back within ``USBTransfer/cancelGrace`` of its
    /// cancellation, or ``stopGrace`` when stopping, is given up on together with its handle.
    private mutating func read(_ session: Session, hotplug: HotplugWatch) -> Outcome {
        let transfer: USBTransfer
        do {
            transfer = try USBTransfer(handle: session.handle, capacity: session.interface.maxPacketSize)
        } catch {
            return .failed(error)
        }
        hotplug.watch(session.device)
        let context = session.device.context
        let clock = ContinuousClock()
        var errorsInARow = 0
        var submittedAt = clock.now
        var cancelled: (why: Cancel, at: ContinuousClock.Instant)?

        func submit() -> Int32 {
            cancelled = nil
            submittedAt = clock.now
            return transfer.submitInterrupt(endpoint: session.interface.endpoint)
        }
        func failure(_ status: Int32) -> Outcome? {
            if status == LIBUSB_ERROR_NO_DEVICE.rawValue { return .unplugged }
            errorsInARow += 1
            logger.debug("interrupt transfer failed", metadata: ["error": "\(LibUSB.describe(status))"])
            guard errorsInARow < Self.errorLimit else { return .failed(LibUSB.error(status, "reading \(name) at \(session.device.portPath)")) }
            return nil
        }

        var status = submit()
        while true {
            if status != 0 {
                // Not in flight: the submission failed. Try again after a slice, unless that was one failure too many.
                if let outcome = failure(status) { return outcome }
                stop.wait(timeout: Self.eventSlice)
                if stop.isStopped { return .stopped }
                status = submit()
                continue
            }
            if transfer.awaitCompletion(in: context, timeout: Self.eventSlice) {
                switch transfer.status {
                case LIBUSB_TRANSFER_COMPLETED:
                    errorsInARow = 0
                    deliver(transfer.received, at: clock.now)
                case LIBUSB_TRANSFER_CANCELLED, LIBUSB_TRANSFER_TIMED_OUT:
                    // Our own timeout, a stop or a departure. A report that raced the cancellation still counts.
                    let data = transfer.received
                    if !data.isEmpty { deliver(data, at: clock.now) }
                    if cancelled?.why == .departed { return .unplugged }
                case LIBUSB_TRANSFER_NO_DEVICE:
                    return .unplugged
                case LIBUSB_TRANSFER_STALL:
                    _ = libusb_clear_halt(session.handle.raw, session.interface.endpoint)
                    if let outcome = failure(LIBUSB_ERROR_PIPE.rawValue) { return outcome }
                case LIBUSB_TRANSFER_OVERFLOW:
                    if let outcome = failure(LIBUSB_ERROR_OVERFLOW.rawValue) { return outcome }
                default:
                    if let outcome = failure(LIBUSB_ERROR_IO.rawValue) { return outcome }
                }
                if stop.isStopped { return .stopped }
                if hotplug.watchedDeviceLeft { return .unplugged }
                status = submit()
                continue
            }
            // Still out: decide whether to cancel it, or whether a cancellation has taken too long.
            let now = clock.now
            if let pending = cancelled {
                let grace = pending.why == .stop ? Self.stopGrace : USBTransfer.cancelGrace
                if now - pending.at >= grace {
                    // Neither completed nor given back: the transfer is abandoned with the handle (see USBTransfer).
                    logger.warning("interrupt transfer not given back after cancelling; giving the device up",
                                   metadata: ["waitedMillis": "\((now - pending.at).milliseconds)"])
                    if stop.isStopped { return .stopped }
                    return pending.why == .departed ? .unplugged
                        : .failed(USBHIDError(.noDevice, "\(name) at \(session.device.portPath) stopped answering"))
                }
                if stop.isStopped, pending.why != .stop {
                    requestCancel(transfer, .stop, at: now, &cancelled)
                } else if hotplug.watchedDeviceLeft, pending.why == .timeout {
                    cancelled = (.departed, pending.at)
                }
                continue
            }
            if stop.isStopped {
                if let outcome = requestCancel(transfer, .stop, at: now, &cancelled) { return outcome }
            } else if hotplug.watchedDeviceLeft {
                if let outcome = requestCancel(transfer, .departed, at: now, &cancelled) { return outcome }
            } else if now - submittedAt >= Self.transferTimeout {
                if let outcome = requestCancel(transfer, .timeout, at: now, &cancelled) { return outcome }
            }
        }
    }

    /// Cancels the transfer in flight, noting why and when.
    /// - Returns: the outcome when the cancellation itself shows the device is gone.
    @discardableResult
    private func requestCancel(_ transfer: USBTransfer, _ why: Cancel, at now: ContinuousClock.Instant,
                           _ cancelled: inout (why: Cancel, at: ContinuousClock.Instant)?) -> Outcome? {
        let status = transfer.cancel()
        cancelled = (why, now)
        if why != .timeout { logger.debug("interrupt transfer cancelled", metadata: ["why": "\(why)", "status": "\(LibUSB.describe(status))"]) }
        guard status == LIBUSB_ERROR_NO_DEVICE.rawValue else { return nil }
        // The device is gone and will not give the transfer back: waiting for it is what hung the synchronous API.
        return why == .stop ? .stopped : .unplugged
    }

    private mutating func deliver(_ report: ArraySlice<UInt8>, at time: ContinuousClock.Instant) {
        let card: String?
        do {
            card = try decoder.feed(report, at: time)
        } catch {
            logger.debug("report ignored", metadata: ["error": "\(error.message)"])
            return
        }
        // The card number is a credential: it is counted, never logged.
        guard let card, let tag = TagID(cardNumber: card) else { return }
        let read = TagRead(tag: tag, kind: .card, source: sink.source.index, antenna: 0, timestamp: .now())
        if !sink.push(read) { logger.debug("card read dropped: the ring is full") }
    }

    /// `2s`, `500ms`.
    static func format(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        return ms % 1_000 == 0 ? "\(ms / 1_000)s" : "\(ms)ms"
    }
}
