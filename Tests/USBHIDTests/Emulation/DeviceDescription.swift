/// umockdev device descriptions (sysfs dump format) of emulated badge readers behind one root hub.
///
/// Modelled on the project's shared fixture `hid-badge-reader-08ff-0009.umockdev`: a HID
/// boot-keyboard reader with interface 3/1/1 and an 8-byte interrupt IN endpoint 0x81. The port,
/// device number, ids and serial-number index vary so several readers can be attached at once.
enum DeviceDescription {
    /// The PCI host controller and the root hub on bus 1.
    static let hub = """
    P: /devices/pci0000:00/0000:00:14.0
    E: DRIVER=xhci_hcd
    E: PCI_CLASS=C0330
    E: PCI_ID=8086:A36D
    E: SUBSYSTEM=pci
    A: class=0x0c0330
    A: device=0xa36d
    A: vendor=0x8086

    P: /devices/pci0000:00/0000:00:14.0/usb1
    N: bus/usb/001/001
    E: DEVNAME=/dev/bus/usb/001/001
    E: DEVTYPE=usb_device
    E: DRIVER=usb
    E: PRODUCT=1d6b/2/600
    E: TYPE=9/0/1
    E: BUSNUM=001
    E: DEVNUM=001
    E: MAJOR=189
    E: MINOR=0
    E: SUBSYSTEM=usb
    A: authorized=1
    A: bConfigurationValue=1
    A: bDeviceClass=09
    A: bDeviceProtocol=01
    A: bDeviceSubClass=00
    A: bMaxPacketSize0=64
    A: bNumConfigurations=1
    A: bNumInterfaces= 1
    A: bcdDevice=0600
    A: busnum=1
    H: descriptors=12010002090001406B1D020000060302010109021900010100E0000904000001090000000705810304000C
    A: dev=189:0
    A: devnum=1
    A: devpath=0
    A: idProduct=0002
    A: idVendor=1d6b
    A: maxchild=4
    A: speed=480
    A: version= 2.00

    """

    /// One reader plugged into root-hub port `port` with device number `devnum`.
    struct Reader: Codable, Sendable {
        var id: String
        var port: Int
        var devnum: Int
        var vendorID: UInt16 = 0x08FF
        var productID: UInt16 = 0x0009
        var serial: String?
        var kernelDriver = true
        var present = true

        var syspath: String { "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-\(port)" }
        var interfaceSyspath: String { "\(syspath)/1-\(port):1.0" }
        var devnode: String { "/dev/bus/usb/001/\(pad(devnum, 3))" }
        var portPath: String { "1-\(port)" }

        /// Device, configuration, interface, HID and endpoint descriptors, concatenated as libusb reads them.
        var descriptors: String {
            let device = "12011001000000" + "08" + le(vendorID) + le(productID) + "0001" + "0102" + (serial == nil ? "00" : "03") + "01"
            let rest = "09022200010100A0320904000001030101000921100100012241000705810308000A"
            return device + rest
        }

        var description: String {
            let vid = hex(vendorID), pid = hex(productID)
            let short = "\(String(vendorID, radix: 16))/\(String(productID, radix: 16))/100"
            return """
            P: /devices/pci0000:00/0000:00:14.0/usb1/1-\(port)
            N: bus/usb/001/\(pad(devnum, 3))
            E: DEVNAME=\(devnode)
            E: DEVTYPE=usb_device
            E: DRIVER=usb
            E: PRODUCT=\(short)
            E: TYPE=0/0/0
            E: BUSNUM=001
            E: DEVNUM=\(pad(devnum, 3))
            E: MAJOR=189
            E: MINOR=\(devnum - 1)
            E: SUBSYSTEM=usb
            E: ID_VENDOR_ID=\(vid)
            E: ID_MODEL_ID=\(pid)
            E: ID_BUS=usb
            E: ID_USB_INTERFACES=:030101:
            A: authorized=1
            A: bConfigurationValue=1
            A: bDeviceClass=00
            A: bDeviceProtocol=00
            A: bDeviceSubClass=00
            A: bMaxPacketSize0=8
            A: bMaxPower=100mA
            A: bNumConfigurations=1
            A: bNumInterfaces= 1
            A: bcdDevice=0100
            A: bmAttributes=a0
            A: busnum=1
            A: configuration=
            H: descriptors=\(descriptors)
            A: dev=189:\(devnum - 1)
            A: devnum=\(devnum)
            A: devpath=\(port)
            A: idProduct=\(pid)
            A: idVendor=\(vid)
            A: manufacturer=Probe
            A: maxchild=0
            A: product=Probe HID Reader
            A: removable=removable
            A: speed=12
            A: version= 1.10

            P: /devices/pci0000:00/0000:00:14.0/usb1/1-\(port)/1-\(port):1.0
            E: DEVTYPE=usb_interface
            E: DRIVER=usbhid
            E: PRODUCT=\(short)
            E: TYPE=0/0/0
            E: INTERFACE=3/1/1
            E: SUBSYSTEM=usb
            A: authorized=1
            A: bAlternateSetting= 0
            A: bInterfaceClass=03
            A: bInterfaceNumber=00
            A: bInterfaceProtocol=01
            A: bInterfaceSubClass=01
            A: bNumEndpoints=01
            A: supports_autosuspend=1

            """
        }

        private func le(_ value: UInt16) -> String { hexByte(UInt8(value & 0xFF)) + hexByte(UInt8(value >> 8)) }
        private func hex(_ value: UInt16) -> String { pad(String(value, radix: 16), 4) }
        private func hexByte(_ value: UInt8) -> String { pad(String(value, radix: 16, uppercase: true), 2) }
        private func pad(_ value: Int, _ width: Int) -> String { pad(String(value), width) }
        private func pad(_ text: String, _ width: Int) -> String { String(repeating: "0", count: max(0, width - text.count)) + text }
    }
}
