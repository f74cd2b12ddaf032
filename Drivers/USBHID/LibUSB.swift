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
            guard let device = list[index], let described = USBDevice(device, in: self) else { continue }
            devices.append(described)
        }
        return devices
    }

    /// Handles pending events for up to `timeout`: transfer completions and hotplug callbacks run from here.
    /// Returns early once `completed` (set by a transfer's callback) is non-zero.
    func handleEvents(timeout: Duration, completed: UnsafeMutablePointer<Int32>? = nil) {
        let timeout = max(timeout, .zero)
        var tv = timeval(tv_sec: Int(timeout.components.seconds),
                         tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        _ = libusb_handle_events_timeout_completed(raw, &tv, completed)
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
    /// The context the device was listed in: libusb needs it alive as long as the device, and its events drive the device's transfers.
    let context: USBContext
    let vendorID: UInt16
    let productID: UInt16
    let serialIndex: UInt8
    let bus: UInt8
    let address: UInt8
    /// `bus-port.port…`, as sysfs names it.
    let portPath: String
    let hidInterface: HIDInterface?

    init?(_ device: OpaquePointer, in context: USBContext) {
        var descriptor = libusb_device_descriptor()
        guard libusb_get_device_descriptor(device, &descriptor) == 0 else { return nil }
        self.context = context
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
    /// The device this handle is open on.
    let device: USBDevice
    /// Whether `close()` ran (it may run early, when a transfer was given up on); nothing is sent on a closed handle.
    private(set) var isClosed = false

    init(opening device: USBDevice, name: String) throws(USBHIDError) {
        var handle: OpaquePointer?
        let status = libusb_open(device.raw, &handle)
        guard status == 0, let handle else { throw LibUSB.error(status, "opening USB reader \(name) at \(device.portPath)") }
        raw = handle
        self.device = device
    }

    /// Reads a string descriptor as ASCII (other characters become `?`, as libusb's own helper does);
    /// `nil` when the device has none, refuses, or does not answer within `timeout`.
    ///
    /// Two control transfers through ``USBTransfer``, not `libusb_get_string_descriptor_ascii`: that one
    /// waits without a bound when the device goes away mid-request.
    func string(at index: UInt8, timeout: Duration = .seconds(1)) -> String? {
        guard index != 0, !isClosed, let transfer = try? USBTransfer(handle: self, capacity: 255) else { return nil }
        func descriptor(_ index: UInt8, language: UInt16) -> ArraySlice<UInt8>? {
            // GET_DESCRIPTOR (6), device-to-host standard request (0x80), type STRING (3).
            guard transfer.submitControlIn(requestType: 0x80, request: 6, value: 0x0300 | UInt16(index), index: language, length: 255) == 0,
                  transfer.finish(in: device.context, within: timeout), transfer.status == LIBUSB_TRANSFER_COMPLETED else { return nil }
            let bytes = transfer.received
            guard bytes.count >= 2, bytes[bytes.startIndex + 1] == 3 else { return nil }
            return bytes.prefix(min(Int(bytes[bytes.startIndex]), bytes.count)).dropFirst(2)
        }
        // String 0 lists the languages; the first one is asked for.
        guard let languages = descriptor(0, language: 0), languages.count >= 2 else { return nil }
        let language = UInt16(languages[languages.startIndex]) | UInt16(languages[languages.startIndex + 1]) << 8
        guard let utf16 = descriptor(index, language: language) else { return nil }
        let units = stride(from: utf16.startIndex, to: utf16.endIndex - 1, by: 2).map { UInt16(utf16[$0]) | UInt16(utf16[$0 + 1]) << 8 }
        return String(decoding: units.map { $0 < 0x80 ? UInt8($0) : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// Takes the interface from the kernel: detaches `usbhid` only when it is bound, then claims.
    ///
    /// Detaching unconditionally fails on devices no driver has bound (and under emulation), so the
    /// bound check comes first; the claim then tells whether anyone else still holds the interface.
    func claim(_ interface: UInt8, name: String) throws(USBHIDError) {
        guard !isClosed else { throw USBHIDError(.noDevice, "USB reader \(name) stopped answering while it was being opened") }
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
        guard !isClosed else { return }
        isClosed = true
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
