/// An error raised by the USB HID badge-reader driver: libusb failures and malformed reports.
public struct USBHIDError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; stable across releases so callers can branch on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        /// libusb could not be initialised or a libusb call failed in a way not listed here.
        public static let libusb = Code(name: "libusb")
        /// No attached device matches the configured vendor:product (and selector).
        public static let notFound = Code(name: "notFound")
        /// The device node could not be opened: usually missing udev permissions.
        public static let access = Code(name: "access")
        /// Another process or driver holds the interface.
        public static let busy = Code(name: "busy")
        /// The device went away (unplugged) while in use.
        public static let noDevice = Code(name: "noDevice")
        /// The device has no HID interface with an interrupt IN endpoint.
        public static let noHIDInterface = Code(name: "noHIDInterface")
        /// A report was not an 8-byte boot-keyboard report.
        public static let invalidReport = Code(name: "invalidReport")
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence naming what was wrong and where.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
