import Foundation
import GatewayCore
import Segmentation

/// The segmentation settings: `segmentation:` in the config.
///
/// ```yaml
/// segmentation:
///   schedule: off              # or "daily 02:30" (local time of the gateway)
///   timeUnit: weeks            # days | weeks
///   window: 365d               # RFM window
///   profilingDefault: true     # profiling of customers whose import does not say
///   baseTier: regular          # the tier of a customer no rule qualifies
///   segments:                  # RFM map, first match wins; default: the reference's 10 segments
///     - { name: Champions, r: 5, f: 5, m: 5 }
///     - { name: Potential Loyalist, r: 3-5, f: 3-5, m: 2-5 }
///   clv: { horizon: 52, step: 4.333, discountRate: 0.10, margin: 1 }
///   tiers:
///     grace: 30d
///     rules:                   # highest tier first; several rules may name one tier (any of them qualifies)
///       - { tier: vip, spendOver: "500.00", window: 365d }
///       - { tier: vip, topPercentByCLV: 5 }
///     manual: { C1042: vip }
/// ```
public struct SegmentationSettings: ConfigSection, Sendable, Equatable {
    /// When `gateway run` runs the segmentation by itself.
    public enum Schedule: Sendable, Equatable, CustomStringConvertible {
        /// Never; `gateway segment` is run by hand or by cron.
        case off
        /// Every day at `hour:minute`, local time.
        case daily(hour: Int, minute: Int)

        /// Parses `off` or `daily HH:MM`; `nil` otherwise.
        public init?(text: String) {
            let words = text.split(separator: " ", omittingEmptySubsequences: true)
            if words.count == 1, ["off", "false", "no", "never"].contains(words[0].lowercased()) {
                self = .off
                return
            }
            guard words.count == 2, words[0].lowercased() == "daily" else { return nil }
            let parts = words[1].split(separator: ":")
            guard parts.count == 2, parts.allSatisfy({ $0.count == 2 }), let hour = Int(parts[0]), let minute = Int(parts[1]),
                  (0...23).contains(hour), (0...59).contains(minute) else { return nil }
            self = .daily(hour: hour, minute: minute)
        }

        /// `off` or `daily HH:MM`, as written in the config.
        public var description: String {
            switch self {
            case .off: return "off"
            case .daily(let hour, let minute): return "daily \(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute)"
            }
        }
    }

    /// When `gateway run` segments by itself; off by default (a store opts in).
    public var schedule = Schedule.off
    /// The BTYD models' time unit.
    public var timeUnit = TimeUnit.weeks
    /// The RFM window in days.
    public var windowDays = 365
    /// Whether a customer an import does not say anything about may be profiled (opt-out model:
    /// customers may object, and objectors are never scored).
    public var profilingDefault = true
    /// The tier a customer holds when no rule, override or grace gives them one.
    public var baseTier = "regular"
    /// The RFM segment map, first match wins.
    public var segments: [RFMSegmentRule] = RFMSegmentRule.defaultMap
    /// CLV horizon, step, discount and margin, in ``timeUnit``.
    public var clv = CLVOptions()
    /// Tier rules, highest first; empty means segmentation leaves `customers.tier` alone.
    public var tierRules: [TierDefinition] = []
    /// Days a tier is held after the customer last qualified.
    public var graceDays = 0
    /// Manual tiers by customer id; they always win.
    public var manualTiers: [String: String] = [:]

    /// The defaults: off, weeks, 365 days, default map, 52-week CLV, no tier rules.
    public init() {}

    /// Reads `segmentation:`.
    public init(config: ConfigMap) throws {
        if let text: String = try config.optional("schedule") {
            guard let schedule = Schedule(text: text) else {
                throw ConfigError(.invalidValue, at: config.path(of: "schedule"), "'\(text)' is not a schedule (off, or daily HH:MM)")
            }
            self.schedule = schedule
        }
        let unitText: String = try config.value("timeUnit", default: timeUnit.rawValue)
        guard let unit = TimeUnit(rawValue: unitText) else {
            throw ConfigError(.invalidValue, at: config.path(of: "timeUnit"), "'\(unitText)' is not a time unit (days, weeks)")
        }
        timeUnit = unit
        windowDays = try Self.days(config, "window", default: windowDays)
        profilingDefault = try config.value("profilingDefault", default: profilingDefault)
        baseTier = try Self.tierName(config, "baseTier", try config.value("baseTier", default: baseTier))
        if let rules = try config.mappings("segments", Self.segmentRule) {
            guard !rules.isEmpty else { throw ConfigError(.invalidValue, at: config.path(of: "segments"), "must list at least one segment") }
            segments = rules
        }
        if let map = try config.section("clv") {
            // Defaults follow the time unit: a year, in monthly steps.
            let year = 365.25 / unit.days
            clv = CLVOptions(horizon: try map.value("horizon", default: year.rounded()),
                             step: try map.value("step", default: year.rounded() / 12),
                             annualDiscountRate: try map.value("discountRate", default: 0.10),
                             margin: try map.value("margin", default: 1.0))
            guard clv.horizon.isFinite, clv.horizon > 0 else {
                throw ConfigError(.invalidValue, at: map.path(of: "horizon"), "\(clv.horizon) must be positive (in \(unit.rawValue))")
            }
            guard clv.step.isFinite, clv.step > 0, clv.step <= clv.horizon else {
                throw ConfigError(.invalidValue, at: map.path(of: "step"), "\(clv.step) must be positive and at most the horizon")
            }
            guard clv.annualDiscountRate.isFinite, (0..<1).contains(clv.annualDiscountRate) else {
                throw ConfigError(.invalidValue, at: map.path(of: "discountRate"), "\(clv.annualDiscountRate) is not a yearly rate (0 ≤ rate < 1)")
            }
            guard clv.margin.isFinite, clv.margin > 0, clv.margin <= 1 else {
                throw ConfigError(.invalidValue, at: map.path(of: "margin"), "\(clv.margin) is not a margin (0 < margin ≤ 1)")
            }
            try map.finish()
        } else if unit == .days {
            clv = CLVOptions(horizon: 365, step: 365.0 / 12)
        }
        if let tiers = try config.section("tiers") {
            graceDays = try Self.days(tiers, "grace", default: 0, allowZero: true)
            tierRules = try tiers.mappings("rules", Self.tierRule) ?? []
            if let manual = try tiers.section("manual") {
                for key in manual.keys {
                    let tier: String = try manual.required(key)
                    manualTiers[key] = try Self.tierName(manual, key, tier)
                }
                try manual.finish()
            }
            try tiers.finish()
        }
    }

    /// The engine's settings for a run as of `asOf`, in `unit` (the CLI may override the config's).
    public func engineConfig(asOf: Day, unit: TimeUnit? = nil) -> SegmentationConfig {
        var options = clv
        if let unit, unit != timeUnit {
            // The horizon is a span of time: keep it, in the other unit.
            let scale = timeUnit.days / unit.days
            options.horizon *= scale
            options.step *= scale
        }
        return SegmentationConfig(asOf: asOf, unit: unit ?? timeUnit, rfmWindowDays: windowDays, rfmRules: segments, clv: options,
                                  tiers: tierRules, manualTiers: manualTiers, graceDays: graceDays)
    }

    private static func days(_ config: ConfigMap, _ key: String, default value: Int, allowZero: Bool = false) throws -> Int {
        guard let duration: Duration = try config.optional(key) else { return value }
        let days = duration.milliseconds / 86_400_000
        guard duration.milliseconds % 86_400_000 == 0, allowZero ? days >= 0 : days > 0, days <= 36_500 else {
            throw ConfigError(.invalidValue, at: config.path(of: key), "'\(duration)' must be a whole number of days\(allowZero ? "" : " (at least 1d)"), e.g. 365d")
        }
        return Int(days)
    }

    private static func tierName(_ config: ConfigMap, _ key: String, _ text: String) throws -> String {
        let lower = text.lowercased()
        guard !lower.isEmpty, lower.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F }) else {
            throw ConfigError(.invalidValue, at: config.path(of: key), "'\(text)' is not a tier name (letters, digits, '-' and '_')")
        }
        return lower
    }

    private static func segmentRule(_ map: ConfigMap) throws -> RFMSegmentRule {
        let name: String = try map.required("name")
        guard !name.isEmpty else { throw ConfigError(.invalidValue, at: map.path(of: "name"), "must not be empty") }
        func range(_ key: String) throws -> ClosedRange<Int> {
            let text: String = try map.value(key, default: "1-5")
            let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            let bounds: (Int?, Int?) = parts.count == 1 ? (parts[0], parts[0]) : parts.count == 2 ? (parts[0], parts[1]) : (nil, nil)
            guard let low = bounds.0, let high = bounds.1, 1 <= low, low <= high, high <= 5 else {
                throw ConfigError(.invalidValue, at: map.path(of: key), "'\(text)' is not a score or a range of scores (1–5, e.g. 3-5)")
            }
            return low...high
        }
        return RFMSegmentRule(name: name, r: try range("r"), f: try range("f"), m: try range("m"))
    }

    private static func tierRule(_ map: ConfigMap) throws -> TierDefinition {
        let tier = try tierName(map, "tier", try map.required("tier"))
        var rules: [TierRule] = []
        if let text: String = try map.optional("spendOver") {
            guard let amount = Decimal(string: text), amount > 0, text.allSatisfy({ $0.isNumber || $0 == "." }) else {
                throw ConfigError(.invalidValue, at: map.path(of: "spendOver"), "'\(text)' is not a positive decimal amount")
            }
            rules.append(.spendOverWindow(min: amount, windowDays: try days(map, "window", default: 365)))
        } else if map.has("window") {
            _ = map.node("window")
            throw ConfigError(.invalidValue, at: map.path(of: "window"), "only a spendOver rule has a window")
        }
        for key in ["topPercentByCLV", "topPercentBySpend"] {
            guard let percent: Double = try map.optional(key) else { continue }
            guard percent > 0, percent <= 100 else {
                throw ConfigError(.invalidValue, at: map.path(of: key), "\(percent) is not a percentage (0 < p ≤ 100)")
            }
            rules.append(key == "topPercentByCLV" ? .topPercentByCLV(percent: percent) : .topPercentBySpend(percent: percent))
        }
        if let names = try map.list("segments", of: String.self) {
            guard !names.isEmpty else { throw ConfigError(.invalidValue, at: map.path(of: "segments"), "must name at least one segment") }
            rules.append(.rfmSegment(names: names))
        }
        guard rules.count == 1 else {
            throw ConfigError(rules.isEmpty ? .missingKey : .invalidValue, at: map.path,
                              "a tier rule needs exactly one of spendOver (with window), topPercentByCLV, topPercentBySpend, segments")
        }
        return TierDefinition(name: tier, rule: rules[0])
    }
}
