import ArgumentParser
import Foundation
import GatewayCore
import LLRP
import SerialM100
import USBHID

/// `gateway doctor`: what hardware the gateway can see, and whether the configured readers are there.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "List the USB devices and serial ports the gateway can see, and check the configured readers.",
        discussion: "Exits 1 when a configured USB or serial reader is missing. LLRP readers are listed with their address; the gateway connects to them when it runs."
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let config: GatewayConfig? = FileManager.default.fileExists(atPath: options.config) ? try options.load() : nil
        var missing = 0

        print("USB devices:")
        let devices: [USBDeviceInfo]
        do {
            devices = try USBDeviceList.devices()
            if devices.isEmpty { print("  (none)") }
            for device in devices {
                print("  \(device.deviceID)  bus \(device.bus) port \(device.port)\(device.isHIDKeyboard ? "  HID keyboard (badge reader?)" : "")")
            }
        } catch {
            devices = []
            print("  cannot list USB devices: \(error)")
        }

        print("Serial ports:")
        let ports = SerialPortList.ports()
        if ports.isEmpty { print("  (none)") }
        for port in ports { print("  \(port)") }

        guard let config else {
            print("No config at \(options.config): nothing to check.")
            return
        }
        print("Configured readers (\(options.config)):")
        for source in config.sources {
            switch source.driver {
            case "usbhid":
                let reader = try USBHIDReaderConfig(source: source)
                let present = devices.contains { $0.vendorID == reader.vendorID && $0.productID == reader.productID && (reader.port == nil || $0.port == reader.port) }
                if !present { missing += 1 }
                print("  \(source.name): USB \(reader.deviceID)\(reader.port.map { " at port \($0)" } ?? "") — \(present ? "present" : "MISSING")")
            case "m100":
                let reader = try M100ReaderConfig(source: source)
                let present = FileManager.default.fileExists(atPath: reader.path)
                if !present { missing += 1 }
                print("  \(source.name): serial \(reader.path) at \(reader.baud) baud — \(present ? "present" : "MISSING")")
            case "llrp":
                let reader = try LLRPReaderConfig(source: source)
                print("  \(source.name): LLRP \(reader.endpoint) — connected to when the gateway runs")
            default:
                print("  \(source.name): \(source.driver)")
            }
        }
        if missing > 0 { throw ExitCode(1) }
    }
}
