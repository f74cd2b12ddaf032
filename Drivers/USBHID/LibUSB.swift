import CLibUSB

/// A libusb context. Not thread-safe by design: each reader owns one and uses it from its own thread.
final class USBContext {
    let raw: OpaquePointer

    init() throws(USBHIDError) {
        var context: OpaquePointer?
        let status = libusb_init(&context)
        guard status == 0, let context else {
            throw USBHIDError(.libusb, "libusb could not start: \(LibUSB.describe(status))")
        }
        raw = context
    }

    deinit { libusb_exit(raw) }

    /// Whether this libusb can announce plugged-in devices (Linux with udev or netlink: yes).
    var hasHotplug: Bool { libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0 }

    /// Every attached device, described; the list is released before returning.
    func devices() throws(USBHIDError) -> [USBDevice] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(raw, &list)
        guard count >= 0, let list else {
            throw USBHIDError(.libusb, "listing USB devices failed: \(LibUSB.describe(Int32(truncatingIfNeeded: count)))")
        }
        defer { libusb_free_device_list(list, 1) }
        var devices: [USBDevice] = []
        for index in 0..<Int(count) {
            guard let device = list[index], let described = USBDevice(device) else { continue }
            devices.append(described)
        }
        return devices
    }

    /// Handles pending events for up to `timeout` (hotplug callbacks run from here).
    func handleEvents(timeout: Duration) {
        var tv = timeval(tv_sec: Int(timeout.components.seconds),
                         tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        _ = libusb_handle_events_timeout_completed(raw, &tv, nil)
    }
}

/// One attached device: a counted reference plus what its descriptors say.
final class USBDevice {
    /// The HID interface a badge reader types through.
    struct HIDInterface: Equatable {
        var number: UInt8
        var endpoint: UInt8
        var maxPacketSize: Int
        /// Class 3, subclass 1 (boot), protocol 1 (keyboard).
        var isBootKeyboard: Bool
    }

    let raw: OpaquePointer
    let vendorID: UInt16
    let productID: UInt16
    let serialIndex: UInt8
    let bus: UInt8
    let address: UInt8
    /// `bus-port.port…`, as sysfs names it.
    let portPath: String
    let hidInterface: HIDInterface?

    init?(_ device: OpaquePointer) {
        var descriptor = libusb_device_descriptor()
        guard libusb_get_device_descriptor(device, &descriptor) == 0 else { return nil }
        raw = libusb_ref_device(device)
        vendorID = descriptor.idVendor
        productID = descriptor.idProduct
        serialIndex = descriptor.iSerialNumber
        bus = libusb_get_bus_number(device)
        address = libusb_get_device_address(device)
        var ports = [UInt8](repeating: 0, count: 8)
        let depth = libusb_get_port_numbers(device, &ports, Int32(ports.count))
        portPath = depth > 0 ? "\(bus)-" + ports[0..<Int(depth)].map(String.init).joined(separator: ".") : "\(bus)-0"
        hidInterface = Self.findHIDInterface(device)
    }

    deinit { libusb_unref_device(raw) }

    /// The boot-keyboard interface if there is one, else the first HID interface with an interrupt IN endpoint.
    private static func findHIDInterface(_ device: OpaquePointer) -> HIDInterface? {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        if libusb_get_active_config_descriptor(device, &config) != 0 || config == nil {
            guard libusb_get_config_descriptor(device, 0, &config) == 0 else { return nil }
        }
        guard let config else { return nil }
        defer { libusb_free_config_descriptor(config) }
        var fallback: HIDInterface?
        for i in 0..<Int(config.pointee.bNumInterfaces) {
            let interface = config.pointee.interface[i]
            for a in 0..<Int(interface.num_altsetting) {
                let setting = interface.altsetting[a]
                guard setting.bInterfaceClass == 3 else { continue }
                for e in 0..<Int(setting.bNumEndpoints) {
                    let endpoint = setting.endpoint[e]
                    let isInterruptIn = endpoint.bEndpointAddress & 0x80 != 0 && endpoint.bmAttributes & 0x03 == 3
                    guard isInterruptIn else { continue }
                    let found = HIDInterface(number: setting.bInterfaceNumber, endpoint: endpoint.bEndpointAddress,
                                             maxPacketSize: max(8, Int(endpoint.wMaxPacketSize & 0x7FF)),
                                             isBootKeyboard: setting.bInterfaceSubClass == 1 && setting.bInterfaceProtocol == 1)
                    if found.isBootKeyboard { return found }
                    if fallback == nil { fallback = found }
                }
            }
        }
        return fallback
    }
}

/// An open device with a claimed interface; `close()` gives it back to the kernel as it was.
final class USBDeviceHandle {
    let raw: OpaquePointer
    private(set) var claimedInterface: UInt8?
    private(set) var detachedKernelDriver = false
    private var closed = false

    init(opening device: USBDevice, name: String) throws(USBHIDError) {
        var handle: OpaquePointer?
        let status = libusb_open(device.raw, &handle)
        guard status == 0, let handle else { throw LibUSB.error(status, "opening USB reader \(name) at \(device.portPath)") }
        raw = handle
    }

    /// Reads an ASCII string descriptor; `nil` when the device has none or refuses.
    func string(at index: UInt8) -> String? {
        guard index != 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 128)
        let length = libusb_get_string_descriptor_ascii(raw, index, &buffer, Int32(buffer.count))
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<Int(length)], as: UTF8.self)
    }

    /// Takes the interface from the kernel: detaches `usbhid` only when it is bound, then claims.
    ///
    /// Detaching unconditionally fails on devices no driver has bound (and under emulation), so the
    /// bound check comes first; the claim then tells whether anyone else still holds the interface.
    func claim(_ interface: UInt8, name: String) throws(USBHIDError) {
        let active = libusb_kernel_driver_active(raw, Int32(interface))
        if active == 1 {
            let status = libusb_detach_kernel_driver(raw, Int32(interface))
            guard status == 0 else { throw LibUSB.error(status, "detaching the kernel driver from USB reader \(name)") }
            detachedKernelDriver = true
        }
        let status = libusb_claim_interface(raw, Int32(interface))
        guard status == 0 else {
            if detachedKernelDriver { _ = libusb_attach_kernel_driver(raw, Int32(interface)) }
            detachedKernelDriver = false
            throw LibUSB.error(status, "claiming interface \(interface) of USB reader \(name)")
        }
        claimedInterface = interface
    }

    /// Releases the interface, hands it back to the kernel driver it was taken from, and closes.
    /// Errors are ignored: after an unplug every one of these fails, and there is nothing left to undo.
    func close() {
        guard !closed else { return }
        closed = true
        if let interface = claimedInterface {
            _ = libusb_release_interface(raw, Int32(interface))
            if detachedKernelDriver { _ = libusb_attach_kernel_driver(raw, Int32(interface)) }
        }
        libusb_close(raw)
    }

    deinit { close() }
}

/// libusb status codes in words.
enum LibUSB {
    static func describe(_ status: Int32) -> String {
        guard let name = libusb_strerror(status) else { return "libusb error \(status)" }
        return String(cString: name)
    }

    /// Maps a failed call to a typed error.
    static func error(_ status: Int32, _ doing: String) -> USBHIDError {
        let code: USBHIDError.Code
        var hint = ""
        switch status {
        case LIBUSB_ERROR_ACCESS.rawValue:
            code = .access
            hint = " (permission denied: run as a user the device node belongs to, or add a udev rule)"
        case LIBUSB_ERROR_BUSY.rawValue: code = .busy
        case LIBUSB_ERROR_NO_DEVICE.rawValue, LIBUSB_ERROR_NOT_FOUND.rawValue: code = .noDevice
        default: code = .libusb
        }
        return USBHIDError(code, "\(doing) failed: \(describe(status))\(hint)")
    }
}
