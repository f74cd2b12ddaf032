import CLibUSB
import GatewayCore
import Synchronization

/// libusb's hotplug announcements for one reader's vendor:product, where libusb can make them:
/// an arrival cuts a retry wait short, and the departure of the device being read cancels its transfer.
///
/// libusb delivers hotplug callbacks only from inside its event handling, so waiting means
/// handling events in short slices: that also keeps a stop request noticed within a slice.
final class HotplugWatch {
    private final class Events: Sendable {
        let arrivals = Atomic<Int>(0)
        /// `bus << 8 | address` of the device being read, or -1.
        let watched = Atomic<Int>(-1)
        /// Set when the watched device leaves.
        let watchedLeft = Atomic<Bool>(false)
    }

    private let context: USBContext
    private let events = Events()
    private var handle: libusb_hotplug_callback_handle = 0
    private var registered = false
    private var retained: Unmanaged<Events>?

    init(context: USBContext, vendorID: UInt16, productID: UInt16) {
        self.context = context
        guard context.hasHotplug else { return }
        let box = Unmanaged.passRetained(events)
        let kinds = Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue)
        let status = libusb_hotplug_register_callback(
            context.raw, kinds, 0, Int32(vendorID), Int32(productID), LIBUSB_HOTPLUG_MATCH_ANY,
            { _, device, event, userData in
                guard let userData else { return 0 }
                let events = Unmanaged<Events>.fromOpaque(userData).takeUnretainedValue()
                if event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED {
                    events.arrivals.add(1, ordering: .relaxed)
                } else if let device, HotplugWatch.key(device) == events.watched.load(ordering: .relaxed) {
                    events.watchedLeft.store(true, ordering: .relaxed)
                }
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

    private static func key(_ device: OpaquePointer) -> Int {
        Int(libusb_get_bus_number(device)) << 8 | Int(libusb_get_device_address(device))
    }

    /// Whether arrivals and departures are announced; without them the wait simply runs its full length.
    var isActive: Bool { registered }

    /// Starts watching `device` for its departure.
    func watch(_ device: USBDevice) {
        events.watchedLeft.store(false, ordering: .relaxed)
        events.watched.store(Int(device.bus) << 8 | Int(device.address), ordering: .relaxed)
    }

    /// Whether the watched device was announced gone.
    var watchedDeviceLeft: Bool { events.watchedLeft.load(ordering: .relaxed) }

    /// Waits up to `interval`, returning early when a matching device arrives or `stop` fires.
    func wait(_ interval: Duration, stop: StopSignal) {
        let seen = events.arrivals.load(ordering: .relaxed)
        guard registered else {
            stop.wait(timeout: interval)
            return
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: interval)
        let slice = Duration.milliseconds(100)
        while !stop.isStopped, events.arrivals.load(ordering: .relaxed) == seen {
            let left = deadline - clock.now
            if left <= .zero { return }
            context.handleEvents(timeout: min(left, slice))
        }
    }
}
