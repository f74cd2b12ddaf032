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

    @Test("store.url chooses the CRM store as crm.url does, and the two must agree")
    func storeURL() throws {
        let sqlite = try load("store:\n  url: sqlite:/var/lib/gateway/crm.sqlite\n")
        #expect(sqlite.crm.db == "/var/lib/gateway/crm.sqlite")
        #expect(sqlite.crm.location == .sqlite(path: "/var/lib/gateway/crm.sqlite"))
        let chain = try load("store:\n  url: postgres://crm@db.example/crm\ncrm:\n  embedded: false\n")
        #expect(chain.crm.location.description == "postgres://crm@db.example:5432/crm")
        #expect(error("store:\n  url: postgres://crm@db.example/crm\n")?.description.hasPrefix(
            "store.url: the store embedded in `gateway run` writes SQLite") == true)
        #expect(error("store:\n  url: mysql://x/y\n")?.description.hasPrefix("store.url: 'mysql://x/y': 'mysql' is not a store") == true)
        #expect(error("store:\n  url: sqlite:a.sqlite\ncrm:\n  url: postgres://crm:secret@db/crm\n  embedded: false\n")?.description
                == "store.url: 'sqlite:a.sqlite' differs from crm.url; set only one of them")
        #expect(try load("store:\n  url: sqlite:a.sqlite\ncrm:\n  url: sqlite:a.sqlite\n").crm.db == "a.sqlite")
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

    @Test("crm.retention: presence 7d, visits 365d and sales kept unless the store says")
    func retentionDefaults() throws {
        let retention = try load("").crm.retention
        #expect(retention.presence == .seconds(7 * 86_400))
        #expect(retention.visits == .seconds(365 * 86_400))
        #expect(retention.transactions == nil)
    }

    @Test("crm.retention.visits and .transactions take durations; 0s keeps for ever")
    func retentionAges() throws {
        let set = try load("crm:\n  retention:\n    presence: 12h\n    visits: 90d\n    transactions: 3650d\n").crm.retention
        #expect(set.presence == .seconds(43_200))
        #expect(set.visits == .seconds(90 * 86_400))
        #expect(set.transactions == .seconds(3_650 * 86_400))
        let kept = try load("crm:\n  retention:\n    presence: 0s\n    visits: 0s\n    transactions: 0s\n").crm.retention
        #expect(kept.presence == nil && kept.visits == nil && kept.transactions == nil)
        // Setting one age leaves the others at their defaults.
        let one = try load("crm:\n  retention:\n    transactions: 2555d\n").crm.retention
        #expect(one.presence == .seconds(7 * 86_400))
        #expect(one.visits == .seconds(365 * 86_400))
        #expect(one.transactions == .seconds(2_555 * 86_400))
    }

    @Test("bad crm.retention ages name their key path", arguments: [
        ("crm:\n  retention:\n    visits: soon\n", "crm.retention.visits: 'soon' is not a duration"),
        ("crm:\n  retention:\n    visits: 365m\n", "crm.retention.visits: 21900000ms is too short (at least 1d, or 0s to keep visits for ever)"),
        ("crm:\n  retention:\n    visits: -1d\n", "crm.retention.visits"),
        ("crm:\n  retention:\n    transactions: ten years\n", "crm.retention.transactions: 'ten years' is not a duration"),
        ("crm:\n  retention:\n    transactions: 12h\n", "crm.retention.transactions: 43200000ms is too short (at least 1d, or 0s to keep sales for ever)"),
        ("crm:\n  retention:\n    presence: 30s\n", "crm.retention.presence: 30000ms is too short (at least 1m"),
        ("crm:\n  retention:\n    sales: 10d\n", "crm.retention.sales: unknown key"),
    ])
    func badRetention(yaml: String, expected: String) {
        let error = error(yaml)
        #expect(error != nil, "accepted: \(yaml)")
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "nil") does not mention \(expected)")
    }

    @Test("matching.presenceCapacity: 65536 by default, set within 1–16777216, its key path named otherwise")
    func presenceCapacity() throws {
        #expect(try load("").matching.presenceCapacity == 65_536)
        #expect(try load("matching:\n  presenceCapacity: 500000\n").matching.presenceCapacity == 500_000)
        for yaml in ["matching:\n  presenceCapacity: 0\n", "matching:\n  presenceCapacity: 20000000\n", "matching:\n  presenceCapacity: many\n"] {
            let error = error(yaml)
            #expect(error?.description.contains("matching.presenceCapacity") == true, "\(error?.description ?? "accepted"): \(yaml)")
        }
    }

    @Test("crm.consent: off by default; when on, at /crm/consent and never without a token")
    func consentInput() throws {
        let defaults = try load("").crm.consent
        #expect(!defaults.enabled && defaults.path == "/crm/consent" && defaults.token == nil)
        let set = try load("crm:\n  consent:\n    enabled: true\n    path: /loyalty/consent\n    token: t0ken\n").crm.consent
        #expect(set.enabled && set.path == "/loyalty/consent" && set.token == "t0ken")
        for (yaml, expected) in [
            ("crm:\n  consent:\n    enabled: true\n", "crm.consent.token: is required with enabled: true"),
            ("crm:\n  consent:\n    path: consent\n", "crm.consent.path: 'consent' is not a route path"),
            ("crm:\n  consent:\n    token: \"\"\n", "crm.consent.token: must not be empty"),
            ("crm:\n  consent:\n    secret: x\n", "crm.consent.secret: unknown key"),
        ] {
            let error = error(yaml)
            #expect(error?.description.contains(expected) == true, "\(error?.description ?? "accepted") does not mention \(expected)")
        }
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
