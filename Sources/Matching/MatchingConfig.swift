import GatewayCore

/// How the matcher smooths presence and applies the rules: `matching:` in the config.
public struct MatchingConfig: ConfigSection, Sendable {
    /// A tag not seen in a zone for this long has left it.
    public var absence: Duration = .seconds(3)
    /// (Tag, zone) pairs the presence table is sized for at start. Growing past it rehashes the whole
    /// table on the pipeline thread, a stall of tens of milliseconds at a few hundred thousand tags.
    public var presenceCapacity: Int = 65_536
    /// The tier whose arrivals raise the staff alert.
    public var vipTier: String = "vip"
    /// A VIP who arrives again within this window raises no second alert.
    public var vipSuppression: Duration = .seconds(30 * 60)
    /// How often the pipeline checks for reader drops and reports them.
    public var statusInterval: Duration = .seconds(1)
    /// How long before a sale's end items at its checkout count, when the POS does not say when the sale began.
    public var basketLookback: Duration = .seconds(5 * 60)
    /// Slack around the sale's window for clocks that disagree (reader against till).
    public var basketSlack: Duration = .seconds(30)
    /// What happens when an item linked to a sale is seen again.
    public var soldItems: SoldItems = .report
    /// How long an item stays marked sold.
    public var soldRetention: Duration = .seconds(30 * 24 * 3600)

    /// Later sightings of sold items.
    public enum SoldItems: String, Sendable, CaseIterable, ConfigChoice {
        /// For errors.
        public static let choiceDescription = "a sold-items policy"
        /// Published as anonymous `item` presence with `sold: true`: never linked to the buyer or another basket.
        case report
        /// Not published at all; counted.
        case drop
    }

    /// The defaults.
    public init() {}

    /// Reads `matching:`.
    public init(config: ConfigMap) throws {
        absence = try config.value("absence", default: absence)
        presenceCapacity = try config.value("presenceCapacity", default: presenceCapacity)
        vipTier = try config.value("vipTier", default: vipTier)
        vipSuppression = try config.value("vipSuppression", default: vipSuppression)
        statusInterval = try config.value("statusInterval", default: statusInterval)
        basketLookback = try config.value("basketLookback", default: basketLookback)
        basketSlack = try config.value("basketSlack", default: basketSlack)
        soldItems = try config.value("soldItems", default: soldItems)
        soldRetention = try config.value("soldRetention", default: soldRetention)
        guard absence >= .milliseconds(100) else {
            throw ConfigError(.invalidValue, at: config.path(of: "absence"), "\(absence) is too short (at least 100ms)")
        }
        guard (1...(1 << 24)).contains(presenceCapacity) else {
            throw ConfigError(.invalidValue, at: config.path(of: "presenceCapacity"), "\(presenceCapacity) is out of range (1–16777216)")
        }
    }
}
