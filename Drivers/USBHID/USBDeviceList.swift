/// What `gateway doctor` shows about one attached USB device.
public struct USBDeviceInfo: Sendable, Equatable {
    /// The USB vendor id.
    public var vendorID: UInt16
    /// The USB product id.
    public var productID: UInt16
    /// The bus number.
    public var bus: UInt8
    /// The device address on its bus.
    public var address: UInt8
    /// The port path (`1-1.2`): what `options.port` selects.
    public var port: String
    /// Whether it has a HID boot-keyboard interface: what keyboard-wedge badge readers present.
    public var isHIDKeyboard: Bool

    /// `08ff:0009`.
    public var deviceID: String { "\(USBHIDReaderConfig.hex4(vendorID)):\(USBHIDReaderConfig.hex4(productID))" }

    /// Creates a description.
    public init(vendorID: UInt16, productID: UInt16, bus: UInt8, address: UInt8, port: String, isHIDKeyboard: Bool) {
        self.vendorID = vendorID
        self.productID = productID
        self.bus = bus
        self.address = address
        self.port = port
        self.isHIDKeyboard = isHIDKeyboard
    }
}

/// The USB devices attached now, for `gateway doctor`.
public enum USBDeviceList {
    /// Every attached device, ordered by port path; opens nothing.
    /// - Throws: `USBHIDError` when libusb cannot start or list devices (no USB support, no /dev/bus/usb).
    public static func devices() throws(USBHIDError) -> [USBDeviceInfo] {
        let context = try USBContext()
        return try context.devices().map { device in
            USBDeviceInfo(vendorID: device.vendorID, productID: device.productID, bus: device.bus, address: device.address,
                          port: device.portPath, isHIDKeyboard: device.hidInterface?.isBootKeyboard ?? false)
        }
        .sorted { ($0.bus, $0.port) < ($1.bus, $1.port) }
    }
}
