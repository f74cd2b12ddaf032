import CLibUSB
import GatewayCore
import Synchronization

/// Cuts a retry wait short when libusb announces a matching device, where libusb can.
///
/// libusb delivers hotplug callbacks only from inside its event handling, so waiting means
/// handling events in short slices: that also keeps a stop request noticed within a slice.
final class HotplugWatch {
    private final class Arrivals: Sendable {
        let count = Atomic<Int>(0)
    }

    private let context: USBContext
    private let arrivals = Arrivals()
    private var handle: libusb_hotplug_callback_handle = 0
    private var registered = false
    private var retained: Unmanaged<Arrivals>?

    init(context: USBContext, vendorID: UInt16, productID: UInt16) {
        self.context = context
        guard context.hasHotplug else { return }
        let box = Unmanaged.passRetained(arrivals)
        let status = libusb_hotplug_register_callback(
            context.raw, Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue), 0, Int32(vendorID), Int32(productID),
            LIBUSB_HOTPLUG_MATCH_ANY,
            { _, _, _, userData in
                if let userData { Unmanaged<Arrivals>.fromOpaque(userData).takeUnretainedValue().count.add(1, ordering: .relaxed) }
                return 0 // stay registered
            },
            box.toOpaque(), &handle)
        if status == 0 {
            registered = true
            retained = box
        } else {
            box.release()
        }
    }

    deinit {
        if registered { libusb_hotplug_deregister_callback(context.raw, handle) }
        retained?.release()
    }

    /// Whether arrivals are announced; without them the wait simply runs its full length.
    var isActive: Bool { registered }

    /// Waits up to `interval`, returning early when a matching device arrives or `stop` fires.
    func wait(_ interval: Duration, stop: StopSignal) {
        let seen = arrivals.count.load(ordering: .relaxed)
        guard registered else {
            stop.wait(timeout: interval)
            return
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: interval)
        let slice = Duration.milliseconds(100)
        while !stop.isStopped, arrivals.count.load(ordering: .relaxed) == seen {
            let left = deadline - clock.now
            if left <= .zero { return }
            context.handleEvents(timeout: min(left, slice))
        }
    }
}
