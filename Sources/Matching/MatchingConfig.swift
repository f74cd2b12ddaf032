import GatewayCore

/// How the matcher smooths presence and applies the rules: `matching:` in the config.
public struct MatchingConfig: ConfigSection, Sendable {
    /// A tag not seen in a zone for this long has left it.
    public var absence: Duration = .seconds(3)
    /// The tier whose arrivals raise the staff alert.
    public var vipTier: String = "vip"
    /// A VIP who arrives again within this window raises no second alert.
    public var vipSuppression: Duration = .seconds(30 * 60)
    /// How often the pipeline checks for reader drops and reports them.
    public var statusInterval: Duration = .seconds(1)

    /// The defaults.
    public init() {}

    /// Reads `matching:`.
    public init(config: ConfigMap) throws {
        absence = try config.value("absence", default: absence)
        vipTier = try config.value("vipTier", default: vipTier)
        vipSuppression = try config.value("vipSuppression", default: vipSuppression)
        statusInterval = try config.value("statusInterval", default: statusInterval)
        guard absence >= .milliseconds(100) else {
            throw ConfigError(.invalidValue, at: config.path(of: "absence"), "\(absence) is too short (at least 100ms)")
        }
    }
}
