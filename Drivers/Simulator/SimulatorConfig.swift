import Foundation
import GatewayCore

/// The demo store's behaviour: `simulator:` in the config.
public struct SimulatorConfig: ConfigSection, Sendable {
    /// `continuous` for the demo (shoppers keep coming), `scripted` for tests (a fixed list of visits, then idle).
    public enum Mode: String, Sendable {
        /// Shoppers arrive at random, forever.
        case continuous
        /// The visits in `script`, one after another, then nothing.
        case scripted
    }

    /// One scripted visit.
    public struct Visit: Sendable, Equatable {
        /// The customer id from the CRM; `nil` for an anonymous shopper.
        public var customer: String?
        /// GTINs the shopper picks up and buys; empty means they leave without buying.
        public var buy: [String]
        /// Time on the sales floor.
        public var dwell: Duration

        /// Creates a scripted visit.
        public init(customer: String?, buy: [String], dwell: Duration) {
            self.customer = customer
            self.buy = buy
            self.dwell = dwell
        }
    }

    /// Whether `gateway run` starts the simulated readers and POS (`--no-simulator` turns it off).
    public var enabled = true
    /// Continuous or scripted.
    public var mode = Mode.continuous
    /// Seed of every random choice: the same seed gives the same shoppers, items and baskets.
    public var seed: UInt64 = 42
    /// Divides every journey duration: 2 walks twice as fast.
    public var speed = 1.0
    /// Mean arrivals per minute in continuous mode.
    public var shoppersPerMinute = 6.0
    /// How often each tag in range is read.
    public var readInterval: Duration = .milliseconds(250)
    /// Tagged items stocked on the floor and read continuously.
    public var shelfItems = 12
    /// Share of shoppers who carry a tag from another company (which the edge filter must drop).
    public var foreignTagRate = 0.25
    /// Share of continuous-mode shoppers who are not loyalty members.
    public var anonymousRate = 0.3
    /// Sales tax added to each sale.
    public var taxRate: Decimal = Decimal(string: "0.08")!
    /// Currency of the simulated POS.
    public var currency = "USD"
    /// The visits of scripted mode.
    public var script: [Visit] = []
    /// How long the store stays empty after start, so subscribers can join before the first visit.
    public var startDelay: Duration = .zero

    /// The defaults.
    public init() {}

    /// Reads `simulator:`.
    public init(config: ConfigMap) throws {
        enabled = try config.value("enabled", default: enabled)
        let modeText: String = try config.value("mode", default: mode.rawValue)
        guard let mode = Mode(rawValue: modeText) else {
            throw ConfigError(.invalidValue, at: config.path(of: "mode"), "'\(modeText)' is not a simulator mode (continuous, scripted)")
        }
        self.mode = mode
        let seed: Int = try config.value("seed", default: Int(self.seed))
        guard seed >= 0 else { throw ConfigError(.invalidValue, at: config.path(of: "seed"), "\(seed) must not be negative") }
        self.seed = UInt64(seed)
        speed = try config.value("speed", default: speed)
        guard speed > 0, speed <= 1_000 else { throw ConfigError(.invalidValue, at: config.path(of: "speed"), "\(speed) is out of range (0–1000]") }
        shoppersPerMinute = try config.value("shoppersPerMinute", default: shoppersPerMinute)
        guard shoppersPerMinute > 0 else {
            throw ConfigError(.invalidValue, at: config.path(of: "shoppersPerMinute"), "\(shoppersPerMinute) must be positive")
        }
        readInterval = try config.value("readInterval", default: readInterval)
        guard readInterval >= .milliseconds(10) else {
            throw ConfigError(.invalidValue, at: config.path(of: "readInterval"), "\(readInterval) is too short (at least 10ms)")
        }
        shelfItems = try config.value("shelfItems", default: shelfItems)
        for (key, value) in [("foreignTagRate", foreignTagRate), ("anonymousRate", anonymousRate)] {
            let rate: Double = try config.value(key, default: value)
            guard (0...1).contains(rate) else { throw ConfigError(.invalidValue, at: config.path(of: key), "\(rate) is not a share (0–1)") }
            if key == "foreignTagRate" { foreignTagRate = rate } else { anonymousRate = rate }
        }
        if let text: String = try config.optional("taxRate") {
            guard let rate = Decimal(string: text), rate >= 0, rate < 1 else {
                throw ConfigError(.invalidValue, at: config.path(of: "taxRate"), "'\(text)' is not a tax rate (0–1)")
            }
            taxRate = rate
        }
        currency = try config.value("currency", default: currency)
        startDelay = try config.value("startDelay", default: startDelay)
        script = try config.mappings("script") { map in
            Visit(customer: try map.optional("customer"), buy: try map.list("buy", of: String.self) ?? [],
                  dwell: try map.value("dwell", default: .seconds(1)))
        } ?? []
        if mode == .scripted, script.isEmpty {
            throw ConfigError(.missingKey, at: config.path(of: "script"), "scripted mode needs at least one visit")
        }
    }
}
