import Foundation
import GatewayCore
import Testing
@testable import LLRP

extension LLRPTests {
    @Suite("LLRP reader configuration")
    struct ConfigTests {
        func source(_ options: [String: String], antennas: [UInt16: String] = [:], zone: String? = nil) -> SourceConfig {
            SourceConfig(name: "door", driver: "llrp", zone: zone, antennas: antennas, options: options, path: "sources[2]")
        }

        func error(_ options: [String: String]) -> ConfigError? {
            do {
                _ = try LLRPReaderConfig(source: source(options))
                return nil
            } catch let error as ConfigError {
                return error
            } catch {
                return nil
            }
        }

        @Test("defaults: port 5084, keepalive 10 s, a report every tag, all antennas, 1–30 s back-off")
        func defaults() throws {
            let config = try LLRPReaderConfig(source: source(["host": "192.0.2.10"], zone: "entrance"))
            #expect(config.host == "192.0.2.10")
            #expect(config.port == 5084)
            #expect(config.keepalive == .seconds(10))
            #expect(config.reportEveryTags == 1)
            #expect(config.antennas == [0])
            #expect(config.reconnect.initial == .seconds(1))
            #expect(config.reconnect.maximum == .seconds(30))
            #expect(config.reconnect.jitter > 0)
            #expect(config.endpoint == "192.0.2.10:5084")
        }

        @Test("options are read, and antennas follow the zone map when no default zone covers the rest")
        func options() throws {
            let config = try LLRPReaderConfig(source: source(
                ["host": "reader-7.store.example", "port": "5085", "keepalive": "2.5s", "reportEveryTags": "8", "reconnectInitial": "200ms",
                 "reconnectMax": "10s", "reconnectJitter": "0.5", "roSpecID": "1234"],
                antennas: [2: "floor", 1: "entrance"]))
            #expect(config.port == 5085)
            #expect(config.keepalive == .milliseconds(2_500))
            #expect(config.reportEveryTags == 8)
            #expect(config.antennas == [1, 2])
            #expect(config.reconnect == .init(initial: .milliseconds(200), maximum: .seconds(10), jitter: 0.5))
            #expect(config.roSpecID == 1234)
            let explicit = try LLRPReaderConfig(source: source(["host": "r", "antennas": "3, 1"], antennas: [1: "floor"]))
            #expect(explicit.antennas == [3, 1])
            let all = try LLRPReaderConfig(source: source(["host": "r", "antennas": "all"]))
            #expect(all.antennas == [0])
        }

        @Test("url: llrp://HOST[:PORT], as `gateway run --reader` sets it")
        func url() throws {
            let plain = try LLRPReaderConfig(source: source(["url": "llrp://192.0.2.10"]))
            #expect(plain.host == "192.0.2.10")
            #expect(plain.port == 5084)
            let withPort = try LLRPReaderConfig(source: source(["url": "llrp://speedway-1:6084"]))
            #expect(withPort.host == "speedway-1")
            #expect(withPort.port == 6084)
            let v6 = try LLRPReaderConfig(source: source(["url": "llrp://[fd00::7]:5084"]))
            #expect(v6.host == "fd00::7")
            #expect(v6.endpoint == "[fd00::7]:5084")
            #expect(error(["url": "http://192.0.2.10"])?.description == "sources[2].options.url: 'http://192.0.2.10' is not an LLRP address (llrp://HOST[:PORT])")
            #expect(error(["url": "llrp://r:99999"])?.description == "sources[2].options.url: 'llrp://r:99999': '99999' is not a port (1–65535)")
            #expect(error(["url": "llrp://r", "host": "r"])?.code == .invalidValue)
            // As `gateway run --reader` builds it: the flag is the path.
            let cli = SourceConfig(name: "cli-reader-1", driver: "llrp", zone: "entrance", options: ["url": "llrp://r:99999"],
                                   path: "--reader llrp://r:99999")
            #expect(throws: ConfigError(.invalidValue, at: "--reader llrp://r:99999", "'llrp://r:99999': '99999' is not a port (1–65535)")) {
                try LLRPReaderConfig(source: cli)
            }
        }

        @Test("bad values name the key path and the value")
        func badValues() {
            #expect(error(["host": "r", "port": "70000"])?.description == "sources[2].options.port: '70000' is not a port (1–65535)")
            #expect(error(["host": "r", "port": "http"])?.description == "sources[2].options.port: 'http' is not a port (1–65535)")
            #expect(error(["host": "r", "keepalive": "ten"])?.description
                == "sources[2].options.keepalive: 'ten' is not a duration (use a number and a unit: ms, s, m, h)")
            #expect(error(["host": "r", "reportEveryTags": "0"])?.description == "sources[2].options.reportEveryTags: '0' is not a tag count (1–65535)")
            #expect(error(["host": "r", "reconnectInitial": "5s", "reconnectMax": "1s"])?.keyPath == "sources[2].options.reconnectMax")
            #expect(error(["host": "r", "reconnectJitter": "2"])?.keyPath == "sources[2].options.reconnectJitter")
            #expect(error(["host": "r", "antennas": "1,x"])?.keyPath == "sources[2].options.antennas")
            #expect(error(["port": "5084"])?.code == .missingKey)
            #expect(error(["host": "has space"])?.keyPath == "sources[2].options.host")
            let typo = error(["host": "r", "keepAlive": "5s"])
            #expect(typo?.code == .unknownKey)
            #expect(typo?.keyPath == "sources[2].options.keepAlive")
        }

        @Test("the two-reader example config yields two LLRP readers with their zones")
        func exampleConfig() throws {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let file = root.appendingPathComponent("Config/examples/two-llrp-readers.yaml").path
            let config = try ConfigMap.load(file: file)
            let sources = try #require(try config.mappings("sources", SourceConfig.init(config:)))
            let readers = sources.filter { $0.driver == "llrp" }
            #expect(readers.count == 2)
            let door = try LLRPReaderConfig(source: readers[0])
            #expect(door.endpoint == "192.0.2.10:5084")
            #expect(door.antennas == [1, 2])
            #expect(door.keepalive == .seconds(10))
            let floor = try LLRPReaderConfig(source: readers[1])
            #expect(floor.antennas == [1, 2, 3, 4])
            #expect(floor.reportEveryTags == 4)
            #expect(floor.reconnect.initial == .milliseconds(500))
            #expect(readers[1].antennas[4] == "checkout")
            let layout = try config.decode("store", as: StoreLayoutConfig.self)
            for reader in readers {
                for zone in reader.antennas.values { #expect(layout.zone(named: zone) != nil, "\(zone) is not a zone of the store") }
            }
        }

        @Test("back-off doubles to the cap, jitters within bounds, and resets")
        func backoff() {
            var plain = Backoff(.init(initial: .seconds(1), maximum: .seconds(30), jitter: 0))
            #expect((0..<7).map { _ in plain.next() } == [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
            plain.reset()
            #expect(plain.next() == .seconds(1))

            var jittered = Backoff(.init(initial: .milliseconds(100), maximum: .seconds(3), jitter: 0.25))
            var delays: [Int64] = []
            for attempt in 0..<12 {
                let base = min(3_000.0, 100.0 * Double(1 << attempt))
                let delay = jittered.next().milliseconds
                #expect(Double(delay) >= base * 0.75 - 1 && Double(delay) <= min(3_000, base * 1.25) + 1, "attempt \(attempt): \(delay) ms")
                delays.append(delay)
            }
            #expect(Set(delays.suffix(6)).count > 1, "capped delays should still vary")
        }
    }
}
