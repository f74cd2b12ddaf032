import GatewayCore
import Testing
@testable import USBHID

@Suite("USB HID reader configuration")
struct USBHIDReaderConfigTests {
    static func source(_ options: [String: String], path: String = "sources[1]") -> SourceConfig {
        SourceConfig(name: "door-badge", driver: "usbhid", zone: "entrance", options: options, path: path)
    }

    static func error(_ options: [String: String], path: String = "sources[1]") -> ConfigError? {
        do {
            _ = try USBHIDReaderConfig(source: source(options, path: path))
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return nil
        }
    }

    @Test("device as hex vid:pid, with defaults")
    func device() throws {
        let config = try USBHIDReaderConfig(source: Self.source(["device": "08ff:0009"]))
        #expect(config.vendorID == 0x08FF)
        #expect(config.productID == 0x0009)
        #expect(config.debounce == .seconds(2))
        #expect(config.retryInterval == .seconds(2))
        #expect(config.port == nil && config.serial == nil)
        #expect(config.letterCase == .upper)
        #expect(config.deviceID == "08ff:0009")
        #expect(try USBHIDReaderConfig(source: Self.source(["device": "FFFF:35"])).productID == 0x35)
    }

    @Test("the --reader URL, with settings in its query")
    func url() throws {
        let plain = try USBHIDReaderConfig(source: Self.source(["url": "usbhid://ffff:0035"], path: "--reader usbhid://ffff:0035"))
        #expect(plain.vendorID == 0xFFFF && plain.productID == 0x0035)
        let tuned = try USBHIDReaderConfig(source: Self.source(["url": "usbhid://08ff:0009?port=1-1.2&debounce=500ms&letterCase=preserve"]))
        #expect(tuned.port == "1-1.2")
        #expect(tuned.debounce == .milliseconds(500))
        #expect(tuned.letterCase == .preserve)
    }

    @Test("selectors and timings from options")
    func options() throws {
        let config = try USBHIDReaderConfig(source: Self.source(["device": "08ff:0009", "port": "3-2.4.1", "serial": "A1B2",
                                                                  "debounce": "5s", "retryInterval": "250ms"]))
        #expect(config.port == "3-2.4.1")
        #expect(config.serial == "A1B2")
        #expect(config.debounce == .seconds(5))
        #expect(config.retryInterval == .milliseconds(250))
    }

    @Test("errors name the key path and the bad value")
    func errors() {
        let bad = Self.error(["device": "08ff-0009"])
        #expect(bad?.code == .invalidValue)
        #expect(bad?.keyPath == "sources[1].options.device")
        #expect(bad?.message == "'08ff-0009' is not a USB vendor:product in hex (e.g. 08ff:0009)")
        #expect(Self.error(["device": "08ff:00009"])?.keyPath == "sources[1].options.device")
        #expect(Self.error(["device": "zz:0009"]) != nil)
        #expect(Self.error([:])?.code == .missingKey)
        #expect(Self.error(["device": "08ff:0009", "debounce": "2"])?.keyPath == "sources[1].options.debounce")
        #expect(Self.error(["device": "08ff:0009", "debounce": "2"])?.message.hasPrefix("'2' is not a duration") == true)
        #expect(Self.error(["device": "08ff:0009", "retryInterval": "1ms"])?.keyPath == "sources[1].options.retryInterval")
        #expect(Self.error(["device": "08ff:0009", "port": "1-0"])?.keyPath == "sources[1].options.port")
        #expect(Self.error(["device": "08ff:0009", "letterCase": "lower"])?.keyPath == "sources[1].options.letterCase")
        #expect(Self.error(["device": "08ff:0009", "debounse": "1s"])?.code == .unknownKey)
        #expect(Self.error(["device": "08ff:0009", "url": "usbhid://08ff:0009"]) != nil)
        let cli = Self.error(["url": "usbhid://08ff"], path: "--reader usbhid://08ff")
        #expect(cli?.keyPath == "--reader usbhid://08ff")
        #expect(cli?.message == "'08ff' is not a USB vendor:product in hex (e.g. 08ff:0009)")
        #expect(Self.error(["url": "hid://08ff:0009"])?.keyPath == "sources[1].options.url")
        #expect(Self.error(["url": "usbhid://08ff:0009?speed=1"])?.message.contains("speed") == true)
    }
}
