import CLibUSB
import GatewayCore
import Logging

/// What one badge reader's thread does from start to stop: find, open, read, and retry.
///
/// Every libusb call blocks, so all of them happen on the reader's own thread and never on the
/// cooperative pool. Interrupt transfers time out every ``transferTimeout`` so a stop request is
/// noticed promptly even when nobody presents a card.
struct USBReaderLoop {
    /// How long one interrupt transfer waits for a report: the bound on noticing a stop.
    static let transferTimeout: UInt32 = 500
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
                let outcome = read(session)
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

    private mutating func read(_ session: Session) -> Outcome {
        var buffer = [UInt8](repeating: 0, count: session.interface.maxPacketSize)
        var errorsInARow = 0
        let clock = ContinuousClock()
        while !stop.isStopped {
            var received: Int32 = 0
            let status = libusb_interrupt_transfer(session.handle.raw, session.interface.endpoint, &buffer, Int32(buffer.count),
                                                   &received, Self.transferTimeout)
            switch status {
            case 0:
                errorsInARow = 0
                deliver(buffer[0..<Int(received)], at: clock.now)
            case LIBUSB_ERROR_TIMEOUT.rawValue:
                // No card presented: the normal idle state. A partial report still counts.
                if received > 0 { deliver(buffer[0..<Int(received)], at: clock.now) }
            case LIBUSB_ERROR_NO_DEVICE.rawValue:
                return .unplugged
            case LIBUSB_ERROR_INTERRUPTED.rawValue:
                continue
            default:
                errorsInARow += 1
                logger.debug("interrupt transfer failed", metadata: ["error": "\(LibUSB.describe(status))"])
                if status == LIBUSB_ERROR_PIPE.rawValue { _ = libusb_clear_halt(session.handle.raw, session.interface.endpoint) }
                if errorsInARow >= Self.errorLimit {
                    return .failed(LibUSB.error(status, "reading \(name) at \(session.device.portPath)"))
                }
            }
        }
        return .stopped
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
