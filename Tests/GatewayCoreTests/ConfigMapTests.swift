import Testing
@testable import GatewayCore

@Suite("Config reading")
struct ConfigMapTests {
    @Test("unknown keys name their path")
    func unknownKey() throws {
        let root = try ConfigMap.parse(yaml: "gateway:\n  id: a\n  stor: x\n", source: "t.yaml")
        #expect(throws: ConfigError(.unknownKey, at: "gateway.stor", "unknown key (known here: dataDir, id, store)")) {
            _ = try root.decode("gateway", as: GatewayIdentityConfig.self)
        }
    }

    @Test("bad values name the path and the value")
    func badValues() throws {
        let root = try ConfigMap.parse(yaml: "sources:\n  - name: a\n    driver: sim\n    ring:\n      capacity: lots\n", source: "t.yaml")
        let error = try #require(throws: ConfigError.self) { _ = try root.mappings("sources", SourceConfig.init(config:)) }
        #expect(error.description == "sources[0].ring.capacity: 'lots' is not a whole number")
    }

    @Test("a POS feed may not drop sales")
    func posNeverDrops() throws {
        let yaml = "sources:\n  - name: till\n    driver: sim\n    kind: transactions\n    ring:\n      overflow: dropOldest\n"
        let root = try ConfigMap.parse(yaml: yaml, source: "t.yaml")
        let error = try #require(throws: ConfigError.self) { _ = try root.mappings("sources", SourceConfig.init(config:)) }
        #expect(error.keyPath == "sources[0].ring.overflow")
    }

    @Test("durations need a unit")
    func durations() {
        #expect(Duration(configText: "250ms") == .milliseconds(250))
        #expect(Duration(configText: "3s") == .seconds(3))
        #expect(Duration(configText: "30m") == .seconds(1_800))
        #expect(Duration(configText: "3") == nil)
    }

    @Test("syntax errors say which file")
    func syntax() {
        let error = #expect(throws: ConfigError.self) { _ = try ConfigMap.parse(yaml: "a: [1, 2\n", source: "broken.yaml") }
        #expect(error?.code == .syntax)
        #expect(error?.message.contains("broken.yaml") == true)
    }
}
