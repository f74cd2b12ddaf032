import Foundation
import GatewayCore
import Testing
@testable import gateway

@Suite("Gateway config")
struct GatewayConfigTests {
    private func load(_ yaml: String) throws -> GatewayConfig {
        try GatewayConfig(root: ConfigMap.parse(yaml: yaml, source: "test.yaml"))
    }

    private func error(_ yaml: String) -> ConfigError? {
        do {
            _ = try load(yaml)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test("the shipped config loads and describes the simulated store")
    func shippedConfig() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/gateway.yaml").standardized.path
        let config = try GatewayConfig.load(file: path)
        #expect(config.sources.map(\.name) == ["door-reader", "floor-reader", "checkout-reader", "till-1", "poslog"])
        #expect(config.sources.last?.kind == .transactions)
        #expect(config.sources.last?.ring.overflow == .block)
        #expect(config.bus.publish == "tcp://127.0.0.1:5556")
        #expect(config.simulator.enabled)
        #expect(config.store.companyPrefixes == ["0614141"])
        #expect(config.matching.absence == .seconds(3))
        #expect(config.matching.vipSuppression == .seconds(1_800))
    }

    @Test("an empty file gives the defaults")
    func defaults() throws {
        let config = try load("")
        #expect(config.gateway.id == "gw-1")
        #expect(config.store.zones.map(\.name) == ["entrance", "floor", "checkout"])
    }

    @Test("malformed configs name the key path and the bad value", arguments: [
        ("bus:\n  publish: tcp://127.0.0.1:70000\n", "bus.publish"),
        ("matching:\n  absence: soon\n", "matching.absence: 'soon' is not a duration"),
        ("matching:\n  absense: 3s\n", "matching.absense: unknown key"),
        ("gatway:\n  id: x\n", "gatway: unknown key"),
        ("sources:\n  - { name: a, driver: simulator, zone: lobby }\n", "sources[0].zone: 'lobby' is not a zone"),
        ("sources:\n  - { name: a, driver: simulator, zone: floor }\n  - { name: a, driver: simulator, zone: floor }\n", "sources[1].name: 'a' is used by another source"),
        ("sources:\n  - { name: a, driver: simulator }\n", "sources[0].zone: a reader needs a zone"),
        ("sources:\n  - { name: a, driver: simulator, antennas: { x: floor } }\n", "sources[0].antennas.x"),
        ("store:\n  companyPrefixes: [\"06141\"]\n", "store.companyPrefixes[0]: '06141' is not a GS1 company prefix"),
        ("store:\n  zones:\n    - { name: door, role: lobby }\n", "store.zones[0].role: 'lobby' is not a zone role"),
        ("store:\n  zones:\n    - { name: door, role: entrance, workstations: [\"1\"] }\n", "store.zones[0].workstations: only a checkout zone has workstations"),
        ("store:\n  zones:\n    - { name: a, role: checkout, workstations: [\"1\"] }\n    - { name: b, role: checkout, workstations: [\"1\"] }\n",
         "store.zones[1].workstations: workstation '1' is already the till of zone 'a'"),
        ("matching:\n  soldItems: keep\n", "matching.soldItems: 'keep' is not a sold-items policy (report, drop)"),
        ("simulator:\n  mode: scripted\n", "simulator.script: scripted mode needs at least one visit"),
        ("simulator:\n  speed: -1\n", "simulator.speed"),
        ("log:\n  level: loud\n", "log.level: 'loud' is not a log level"),
        ("crm:\n  batch:\n    maxEvents: many\n", "crm.batch.maxEvents: 'many' is not a whole number"),
    ])
    func malformed(yaml: String, expected: String) {
        let error = error(yaml)
        #expect(error != nil, "accepted: \(yaml)")
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "nil") does not mention \(expected)")
    }

    @Test("--reader pairs with the --zone that follows it")
    func readerPairs() throws {
        let readers = ReaderArgument.parse(arguments: ["run", "--reader", "llrp://a", "--zone", "floor", "--reader=llrp://b", "--no-simulator"])
        #expect(readers == [ReaderArgument(url: "llrp://a", zone: "floor"), ReaderArgument(url: "llrp://b", zone: "entrance")])
        let source = try readers[0].sourceConfig(index: 0)
        #expect(source.driver == "llrp")
        #expect(source.zone == "floor")
        #expect(throws: CLIError.self) { try ReaderArgument(url: "no-scheme", zone: "floor").sourceConfig(index: 0) }
    }
}
