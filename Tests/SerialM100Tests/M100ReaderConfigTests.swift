import GatewayCore
import Testing
@testable import SerialM100

@Suite("M100 reader configuration")
struct M100ReaderConfigTests {
    static func source(_ options: [String: String], path: String = "sources[3]") -> SourceConfig {
        SourceConfig(name: "uhf", driver: "m100", zone: "entrance", options: options, path: path)
    }

    static func error(_ options: [String: String], path: String = "sources[3]") -> ConfigError? {
        do {
            _ = try M100ReaderConfig(source: source(options, path: path))
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return nil
        }
    }

    @Test("device and baud from options; defaults otherwise")
    func options() throws {
        let config = try M100ReaderConfig(source: Self.source(["device": "/dev/ttyUSB0"]))
        #expect(config == M100ReaderConfig(path: "/dev/ttyUSB0"))
        #expect(config.baud == 115_200)
        #expect(config.pollingRounds == 10_000)
        #expect(config.retryInterval == .seconds(2))
        let tuned = try M100ReaderConfig(source: Self.source(["device": "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0", "baud": "57600",
                                                               "pollingRounds": "500", "retryInterval": "500ms", "antenna": "2"]))
        #expect(tuned.path == "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0")
        #expect(tuned.baud == 57_600)
        #expect(tuned.pollingRounds == 500)
        #expect(tuned.retryInterval == .milliseconds(500))
        #expect(tuned.antenna == 2)
    }

    @Test("the --reader URL form: m100:PATH?baud=N")
    func url() throws {
        let config = try M100ReaderConfig(source: Self.source(["url": "m100:/dev/ttyACM1?baud=9600"], path: "--reader m100:/dev/ttyACM1?baud=9600"))
        #expect(config.path == "/dev/ttyACM1")
        #expect(config.baud == 9_600)
        #expect(try M100ReaderConfig(source: Self.source(["url": "m100:///dev/ttyUSB0"])).path == "/dev/ttyUSB0")
    }

    @Test("a bad baud rate names the key and the value")
    func badBaud() {
        let error = Self.error(["device": "/dev/ttyUSB0", "baud": "115201"])
        #expect(error?.code == .invalidValue)
        #expect(error?.keyPath == "sources[3].options.baud")
        #expect(error?.message.hasPrefix("'115201' is not a supported baud rate") == true)
        let fromURL = Self.error(["url": "m100:/dev/ttyUSB0?baud=fast"], path: "--reader m100:/dev/ttyUSB0?baud=fast")
        #expect(fromURL?.keyPath == "--reader m100:/dev/ttyUSB0?baud=fast")
        #expect(fromURL?.message.contains("'fast'") == true)
    }

    @Test("missing, relative or doubled device paths, typos and bad numbers are errors")
    func otherErrors() {
        #expect(Self.error([:])?.code == .missingKey)
        #expect(Self.error([:])?.keyPath == "sources[3].options.device")
        #expect(Self.error(["device": "ttyUSB0"])?.message == "'ttyUSB0' is not an absolute device path (e.g. /dev/ttyUSB0)")
        #expect(Self.error(["device": "/dev/ttyUSB0", "url": "m100:/dev/ttyUSB0"])?.code == .invalidValue)
        #expect(Self.error(["device": "/dev/ttyUSB0", "bauds": "9600"])?.code == .unknownKey)
        #expect(Self.error(["device": "/dev/ttyUSB0", "bauds": "9600"])?.keyPath == "sources[3].options.bauds")
        #expect(Self.error(["device": "/dev/ttyUSB0", "pollingRounds": "0"])?.keyPath == "sources[3].options.pollingRounds")
        #expect(Self.error(["device": "/dev/ttyUSB0", "pollingRounds": "70000"]) != nil)
        #expect(Self.error(["device": "/dev/ttyUSB0", "retryInterval": "2"])?.keyPath == "sources[3].options.retryInterval")
        #expect(Self.error(["url": "serial:/dev/ttyUSB0"])?.keyPath == "sources[3].options.url")
        #expect(Self.error(["url": "m100:/dev/ttyUSB0?speed=9600"])?.message.contains("speed") == true)
    }
}
