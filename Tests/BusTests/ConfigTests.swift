import GatewayCore
import Testing

@testable import Bus

@Suite("BusConfig")
struct ConfigTests {
    private func read(_ yaml: String) throws -> BusConfig {
        let root = try ConfigMap.parse(yaml: yaml, source: "test.yaml")
        let config: BusConfig = try root.decode("bus")
        try root.finish()
        return config
    }

    private func configError(_ yaml: String) -> ConfigError? {
        #expect(throws: ConfigError.self) { try read(yaml) }
    }

    @Test("defaults")
    func defaults() throws {
        for config in [BusConfig(), try read("bus: {}\n"), try read("{}\n")] {
            #expect(config.publish == "tcp://127.0.0.1:5556")
            #expect(config.sendHighWaterMark == 100_000)
            #expect(config.receiveHighWaterMark == 100_000)
            #expect(config.allowNonLoopback == false)
            #expect(config.journal.enabled)
            #expect(config.journal.groupCommit == .milliseconds(5))
            #expect(config.journal.maxBytes == 256 * 1_024 * 1_024)
            #expect(config.replay == "tcp://127.0.0.1:5557")
            #expect(config.journal.segmentBytes == 64 * 1_024 * 1_024)
            #expect(config.journal.maxAge == .seconds(7 * 86_400))
            try config.validate()
        }
    }

    @Test("reads every key")
    func readsEverything() throws {
        let config = try read("""
            bus:
              publish: ipc://gateway-bus.sock
              sendHighWaterMark: 5_000
              receiveHighWaterMark: 7000
              journal:
                enabled: false
                groupCommit: 20ms
                maxBytes: 1073741824
            """)
        #expect(config.publish == "ipc://gateway-bus.sock")
        #expect(config.sendHighWaterMark == 5_000)
        #expect(config.receiveHighWaterMark == 7_000)
        #expect(config.journal.enabled == false)
        #expect(config.journal.groupCommit == .milliseconds(20))
        #expect(config.journal.maxBytes == 1_073_741_824)
    }

    @Test("the replay endpoint and the journal's segment size and age are read and checked")
    func replayAndRetention() throws {
        let config = try read("""
            bus:
              replay: tcp://[::1]:6000
              journal:
                maxBytes: 8388608
                segmentBytes: 1048576
                maxAge: 2d
            """)
        #expect(config.replay == "tcp://[::1]:6000")
        #expect(config.journal.segmentBytes == 1_048_576)
        #expect(config.journal.maxAge == .seconds(2 * 86_400))
        // Left out, a segment is a quarter of a small budget, so retention has whole segments to drop.
        #expect(try read("bus:\n  journal:\n    maxBytes: 4194304\n").journal.segmentBytes == 1_048_576)

        let nonLoopback = configError("bus:\n  replay: tcp://0.0.0.0:5557\n")
        #expect(nonLoopback?.keyPath == "bus.replay")
        #expect(nonLoopback?.message.contains("bus.allowNonLoopback") == true)
        #expect((try? read("bus:\n  replay: tcp://0.0.0.0:5557\n  allowNonLoopback: true\n")) != nil)
        #expect(configError("bus:\n  replay: tcp://127.0.0.1:5556\n")?.message.contains("bus.publish") == true)
        #expect(configError("bus:\n  replay: tcp://127.0.0.1\n")?.keyPath == "bus.replay")
        #expect(configError("bus:\n  journal:\n    segmentBytes: 1000\n")?.keyPath == "bus.journal.segmentBytes")
        #expect(configError("bus:\n  journal:\n    maxBytes: 2097152\n    segmentBytes: 4194304\n")?.keyPath == "bus.journal.segmentBytes")
        #expect(configError("bus:\n  journal:\n    maxAge: 30s\n")?.keyPath == "bus.journal.maxAge")

        var inCode = BusConfig()
        inCode.replay = inCode.publish
        let sameEndpoint = #expect(throws: BusError.self) { try inCode.validate() }
        #expect(sameEndpoint?.message.hasPrefix("bus.replay:") == true)
        inCode = BusConfig()
        inCode.journal.segmentBytes = 10
        let tinySegment = #expect(throws: BusError.self) { try inCode.validate() }
        #expect(tinySegment?.message.hasPrefix("bus.journal.segmentBytes:") == true)
    }

    @Test("a port out of range names the key path and the value")
    func badPort() {
        let error = configError("bus:\n  publish: tcp://x:70000\n")
        #expect(error?.keyPath == "bus.publish")
        #expect(error?.description == "bus.publish: 'tcp://x:70000' is not a port (1–65535)")
        #expect(configError("bus:\n  publish: tcp://127.0.0.1:0\n")?.keyPath == "bus.publish")
        #expect(configError("bus:\n  publish: tcp://127.0.0.1:*\n")?.keyPath == "bus.publish")
        #expect(configError("bus:\n  publish: tcp://127.0.0.1\n")?.keyPath == "bus.publish")
    }

    @Test("only tcp, ipc and inproc endpoints")
    func badScheme() {
        let error = configError("bus:\n  publish: udp://127.0.0.1:5556\n")
        #expect(error?.keyPath == "bus.publish")
        #expect(error?.message.contains("udp://127.0.0.1:5556") == true)
        #expect(configError("bus:\n  publish: ipc://\n")?.keyPath == "bus.publish")
        #expect((try? read("bus:\n  publish: inproc://bus\n")) != nil)
    }

    @Test("loopback hosts are accepted", arguments: ["tcp://127.0.0.1:5556", "tcp://127.1.2.3:1", "tcp://localhost:65535", "tcp://[::1]:5556"])
    func loopbackAccepted(endpoint: String) throws {
        #expect(try read("bus:\n  publish: \"\(endpoint)\"\n").publish == endpoint)
    }

    @Test("other hosts are refused unless allowNonLoopback", arguments: ["tcp://0.0.0.0:5556", "tcp://*:5556", "tcp://10.0.0.5:5556",
                                                                      "tcp://eth0:5556", "tcp://[::]:5556", "tcp://127.0.0.1.evil.example:5556"])
    func nonLoopbackRefused(endpoint: String) throws {
        let error = configError("bus:\n  publish: \"\(endpoint)\"\n")
        #expect(error?.keyPath == "bus.publish")
        #expect(error?.message.contains("bus.allowNonLoopback") == true)
        let allowed = try read("bus:\n  publish: \"\(endpoint)\"\n  allowNonLoopback: true\n")
        #expect(allowed.publish == endpoint)
        #expect(allowed.allowNonLoopback)
    }

    @Test("out-of-range numbers and unknown keys are refused with their key path")
    func otherValidation() {
        #expect(configError("bus:\n  sendHighWaterMark: 0\n")?.keyPath == "bus.sendHighWaterMark")
        #expect(configError("bus:\n  receiveHighWaterMark: -1\n")?.keyPath == "bus.receiveHighWaterMark")
        #expect(configError("bus:\n  journal:\n    groupCommit: 0ms\n")?.keyPath == "bus.journal.groupCommit")
        #expect(configError("bus:\n  journal:\n    groupCommit: soon\n")?.keyPath == "bus.journal.groupCommit")
        #expect(configError("bus:\n  journal:\n    maxBytes: 10\n")?.keyPath == "bus.journal.maxBytes")
        #expect(configError("bus:\n  publsh: tcp://127.0.0.1:5556\n")?.code == .unknownKey)
        #expect(configError("bus:\n  journal:\n    enable: true\n")?.keyPath == "bus.journal.enable")
    }

    @Test("a configuration built in code is validated too")
    func validateInCode() {
        var config = BusConfig()
        config.publish = "tcp://0.0.0.0:5556"
        let error = #expect(throws: BusError.self) { try config.validate() }
        #expect(error?.code == .config)
        #expect(error?.message.hasPrefix("bus.publish:") == true)
        config.allowNonLoopback = true
        #expect(throws: Never.self) { try config.validate() }
    }
}
