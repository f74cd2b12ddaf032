import Foundation
import GatewayCore
import POSIngest
import Testing
@testable import POSWebhook

@Suite("Webhook settings and helpers")
struct WebhookConfigTests {
    private func source(_ driver: String, _ options: [String: String]) -> SourceConfig {
        SourceConfig(name: "web", driver: driver, kind: .transactions, options: options, path: "sources[2]")
    }

    private func configError(_ body: () throws -> Void) -> ConfigError? {
        do {
            try body()
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return nil
        }
    }

    @Test("a missing or empty secret, a missing notification URL, unknown keys and bad zones name the key path")
    func errors() {
        let noSecret = configError { _ = try SquareWebhookFormat(source: source("square", ["notificationURL": "https://x.example/pos/square"])) }
        #expect(noSecret?.code == .missingKey)
        #expect(noSecret?.keyPath == "sources[2].options.secret")
        let empty = configError { _ = try ShopifyWebhookFormat(source: source("shopify", ["secret": ""])) }
        #expect(empty?.code == .invalidValue)
        #expect(empty?.keyPath == "sources[2].options.secret")
        let noURL = configError { _ = try SquareWebhookFormat(source: source("square", ["secret": "k"])) }
        #expect(noURL?.keyPath == "sources[2].options.notificationURL")
        let badURL = configError { _ = try SquareWebhookFormat(source: source("square", ["secret": "k", "notificationURL": "pos/square"])) }
        #expect(badURL?.keyPath == "sources[2].options.notificationURL")
        let typo = configError { _ = try ShopifyWebhookFormat(source: source("shopify", ["secret": "k", "secrett": "k"])) }
        #expect(typo?.code == .unknownKey)
        #expect(typo?.keyPath == "sources[2].options.secrett")
        let zone = configError { _ = try ShopifyWebhookFormat(source: source("shopify", ["secret": "k", "timeZone": "Mars/Olympus"])) }
        #expect(zone?.keyPath == "sources[2].options.timeZone")
        let flag = configError { _ = try ShopifyWebhookFormat(source: source("shopify", ["secret": "k", "gtinFromSKU": "maybe"])) }
        #expect(flag?.keyPath == "sources[2].options.gtinFromSKU")
    }

    @Test("the listener's own keys are accepted beside the format's")
    func listenerKeys() throws {
        let format = try SquareWebhookFormat(source: source("square", ["secret": "k", "notificationURL": "https://x.example/hooks/sq", "path": "/hooks/sq"]))
        #expect(format.configuration.notificationURL == "https://x.example/hooks/sq")
        #expect(format.optionKeys == SquareWebhookConfig.optionKeys)
        #expect(!format.usesBearerToken)
        #expect(format.driver == "square" && format.defaultPath == "/pos/square")
        let shopify = try ShopifyWebhookFormat(source: source("shopify", ["secret": "k", "workstation": "web-shop"]))
        #expect(shopify.configuration.workstation == "web-shop")
        #expect(shopify.driver == "shopify" && shopify.defaultPath == "/pos/shopify")
    }

    @Test("the secret can come from the environment through the config file")
    func secretFromEnvironment() throws {
        let name = "POSWEBHOOK_TEST_KEY_\(UInt32.random(in: 0...UInt32.max))"
        setenv(name, "from-env-\(name)", 1)
        defer { unsetenv(name) }
        let yaml = """
        sources:
          - name: square
            driver: square
            kind: transactions
            options:
              secret: ${\(name)}
              notificationURL: https://gateway.example.com/pos/square
        """
        let root = try ConfigMap.parse(yaml: yaml, source: "test.yaml")
        let sources = try #require(try root.mappings("sources") { try SourceConfig(config: $0) })
        let format = try SquareWebhookFormat(source: sources[0])
        #expect(format.configuration.secret == "from-env-\(name)")
        let body = Array("{}".utf8)
        let request = Fixture.squareRequest(body, key: "from-env-\(name)", url: "https://gateway.example.com/pos/square")
        // Signed with the environment's key: the signature passes and the empty event is malformed, not unauthorized.
        #expect(parseError { () throws(POSIngestError) in try format.parse(request) }?.code == .malformed)
    }

    @Test("GTINs are checked and widened to 14 digits")
    func gtins() {
        #expect(GTIN.normalised("4006381333931") == "04006381333931")
        #expect(GTIN.normalised("96385074") == "00000096385074")
        #expect(GTIN.normalised("036000291452") == "00036000291452")
        #expect(GTIN.normalised("10614141000415") == "10614141000415")
        #expect(GTIN.normalised("4006381333932") == nil)
        #expect(GTIN.normalised("400638133393") == nil)
        #expect(GTIN.normalised("TSHIRT-M") == nil)
        #expect(GTIN.normalised("") == nil)
    }

    @Test("decimal strings are parsed strictly")
    func decimals() {
        #expect(Money.parseDecimal("19.99") == Fixture.dec("19.99"))
        #expect(Money.parseDecimal("-2") == -2)
        #expect(Money.parseDecimal("0.125") == Fixture.dec("0.125"))
        for bad in ["", "12abc", "1e3", ".5", "5.", "1.2.3", "1-2", "--1", " 1", "1,5", "NaN"] {
            #expect(Money.parseDecimal(bad) == nil, "\(bad)")
        }
        #expect(Money.decimal(minorUnits: -150, currency: "USD") == Fixture.dec("-1.5"))
        #expect(Money.decimal(minorUnits: 7, currency: "BHD") == Fixture.dec("0.007"))
        #expect(Money.decimal(minorUnits: 7, currency: "KRW") == 7)
    }
}
