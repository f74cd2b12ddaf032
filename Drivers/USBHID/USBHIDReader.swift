import Foundation
import GatewayCore
import Logging

/// A keyboard-wedge badge reader on USB, read directly through libusb: `driver: usbhid`.
///
/// The reader is taken from the kernel's `usbhid` driver while the gateway runs, so card numbers
/// never reach a login prompt or a focused window, and handed back on shutdown. Each typed card
/// becomes a `TagRead` of kind `.card`, antenna 0; the matcher resolves it to a customer.
///
/// A reader that is missing at start or unplugged later is reported through `reader.status` and
/// looked for again every `retryInterval` (sooner when libusb announces it); it never ends the run.
public struct USBHIDReader: ReadSource {
    /// The reader's settings.
    public let configuration: USBHIDReaderConfig
    private let logger: Logger

    /// Creates a reader; nothing is opened until `run(into:)`.
    public init(configuration: USBHIDReaderConfig, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Reads cards into `sink` until the task is cancelled, then releases the device.
    ///
    /// The libusb work runs on a dedicated thread; cancellation reaches it within one round of event
    /// handling (100 ms), plus at most 250 ms for a transfer the device does not give back.
    public func run(into sink: ReadSink) async throws {
        let configuration = configuration
        let logger = logger
        await StopSignal.runOnThread(named: "usbhid \(configuration.deviceID)") { stop in
            var loop = USBReaderLoop(configuration: configuration, logger: logger, sink: sink, stop: stop)
            loop.run()
        }
    }
}
