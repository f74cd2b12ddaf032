import Dashboard
import GatewayCore
import Testing

@Suite struct DashboardConfigTests {
    private func parse(_ yaml: String) throws -> DashboardConfig {
        try ConfigMap.parse(yaml: yaml, source: "test.yaml").decode("dashboard")
    }

    @Test func defaultsServeLoopbackOn8080() throws {
        let config = try parse("{}")
        #expect(config.enabled)
        #expect(config.listen == "127.0.0.1:8080")
        #expect(config.isLoopback)
        #expect(config.users.isEmpty)
    }

    @Test func aBadPortNamesTheKeyPath() {
        #expect(throws: ConfigError(.invalidValue, at: "dashboard.listen", "'127.0.0.1:99999' is not a port (1–65535)")) {
            try parse("dashboard: { listen: '127.0.0.1:99999' }")
        }
        #expect(throws: ConfigError.self) { try parse("dashboard: { listen: 'nohost' }") }
    }

    @Test func aNetworkAddressMustBeAllowed() throws {
        #expect(throws: ConfigError.self) { try parse("dashboard: { listen: '0.0.0.0:8080' }") }
        let allowed = try parse("dashboard: { listen: '0.0.0.0:8080', allowNonLoopback: true }")
        #expect(allowed.host == "0.0.0.0")
        #expect(try parse("dashboard: { listen: '[::1]:9000' }").host == "::1")
    }

    @Test func otherBusesMayNameTheirReplayOnePerBus() throws {
        let config = try parse("dashboard: { connect: ['tcp://10.0.0.2:5556'], replay: ['tcp://10.0.0.2:5557'] }")
        #expect(config.connect == ["tcp://10.0.0.2:5556"] && config.replay == ["tcp://10.0.0.2:5557"])
        #expect(try parse("dashboard: { connect: ['tcp://10.0.0.2:5556'] }").replay.isEmpty)
        #expect(throws: ConfigError(.invalidValue, at: "dashboard.replay",
                                    "gives 2 endpoints for 1 in connect: one replay per connect, in the same order")) {
            try parse("dashboard: { connect: ['tcp://a:1'], replay: ['tcp://a:2', 'tcp://a:3'] }")
        }
        #expect(throws: ConfigError.self) { try parse("dashboard: { connect: ['10.0.0.2:5556'] }") }
    }

    @Test func usersNeedABcryptHash() throws {
        let hash = PasswordHasher.hash("secret words", cost: 10)
        let config = try parse("dashboard: { users: [ { name: anna, passwordHash: '\(hash)' } ] }")
        #expect(config.users == [DashboardConfig.User(name: "anna", passwordHash: hash)])
        #expect(throws: ConfigError.self) { try parse("dashboard: { users: [ { name: anna, passwordHash: 'secret words' } ] }") }
        #expect(throws: ConfigError.self) { try parse("dashboard: { users: [ { name: 'an na', passwordHash: '\(hash)' } ] }") }
        #expect(throws: ConfigError.self) { try parse("dashboard: { colour: blue }") }
    }

    @Test func passwordsAreCheckedAgainstTheirHash() {
        let hash = PasswordHasher.hash("correct horse", cost: 10)
        #expect(PasswordHasher.isHash(hash))
        #expect(PasswordHasher.verify("correct horse", hash: hash))
        #expect(!PasswordHasher.verify("wrong horse", hash: hash))
        #expect(!PasswordHasher.verify("correct horse", hash: "not a hash"))
    }
}
