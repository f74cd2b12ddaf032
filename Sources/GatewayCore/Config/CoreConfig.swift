/// Who this gateway is: `gateway:` in the config.
public struct GatewayIdentityConfig: ConfigSection, Sendable {
    /// The gateway id, carried in every event's `gateway` field; its own seq space.
    public var id: String = "gw-1"
    /// The store id, carried in every event's `store` field.
    public var store: String = "store-1"
    /// Where runtime data lives (journal, database, keys), relative to the working directory.
    public var dataDir: String = ".gateway"

    /// The defaults.
    public init() {}

    /// Reads `gateway:`.
    public init(config: ConfigMap) throws {
        id = try config.value("id", default: id)
        store = try config.value("store", default: store)
        dataDir = try config.value("dataDir", default: dataDir)
        for (key, value) in [("id", id), ("store", store)] where value.isEmpty {
            throw ConfigError(.invalidValue, at: config.path(of: key), "must not be empty")
        }
    }
}

/// The floor plan: `store:` in the config.
public struct StoreLayoutConfig: ConfigSection, Sendable {
    /// A named area of the store.
    public struct Zone: Sendable, Equatable {
        /// The role a zone plays in the rules.
        public enum Role: String, Sendable {
            /// Where customers come in: arrivals are recognised here.
            case entrance
            /// Anywhere else on the sales floor.
            case floor
            /// A till: items seen here are linked to sales.
            case checkout
        }
        /// The zone's name, used in events.
        public var name: String
        /// Its role.
        public var role: Role
    }

    /// The zones; the default is an entrance, a floor and a checkout.
    public var zones: [Zone] = [
        Zone(name: "entrance", role: .entrance), Zone(name: "floor", role: .floor), Zone(name: "checkout", role: .checkout),
    ]
    /// GS1 company prefixes of the store's own goods; other GS1 tags are foreign and dropped.
    /// Empty means every GS1 tag is accepted.
    public var companyPrefixes: [String] = []

    /// The defaults.
    public init() {}

    /// Reads `store:`.
    public init(config: ConfigMap) throws {
        if let zones = try config.mappings("zones", { map -> Zone in
            let name: String = try map.required("name")
            let roleText: String = try map.value("role", default: "floor")
            guard let role = Zone.Role(rawValue: roleText) else {
                throw ConfigError(.invalidValue, at: map.path(of: "role"), "'\(roleText)' is not a zone role (entrance, floor, checkout)")
            }
            return Zone(name: name, role: role)
        }) {
            guard !zones.isEmpty else { throw ConfigError(.invalidValue, at: config.path(of: "zones"), "needs at least one zone") }
            var seen = Set<String>()
            for (index, zone) in zones.enumerated() where !seen.insert(zone.name).inserted {
                throw ConfigError(.invalidValue, at: "\(config.path(of: "zones"))[\(index)].name", "'\(zone.name)' is used twice")
            }
            self.zones = zones
        }
        if let prefixes = try config.list("companyPrefixes", of: String.self) {
            for (index, prefix) in prefixes.enumerated() where !(6...12).contains(prefix.count) || !prefix.allSatisfy(\.isNumber) {
                throw ConfigError(.invalidValue, at: "\(config.path(of: "companyPrefixes"))[\(index)]",
                                  "'\(prefix)' is not a GS1 company prefix (6 to 12 digits)")
            }
            companyPrefixes = prefixes
        }
    }

    /// The zone named `name`.
    public func zone(named name: String) -> Zone? { zones.first { $0.name == name } }
}

/// Where pseudonymous tokens get their key: `privacy:` in the config.
public struct PrivacyConfig: ConfigSection, Sendable {
    /// The key file, relative to the working directory; created on first run. `GATEWAY_TOKEN_KEY` overrides it.
    public var tokenKeyFile: String?

    /// The defaults: `<dataDir>/token.key`.
    public init() {}

    /// Reads `privacy:`.
    public init(config: ConfigMap) throws {
        tokenKeyFile = try config.optional("tokenKeyFile")
    }
}

/// One source: a reader or a POS feed, `sources[i]` in the config.
public struct SourceConfig: Sendable, Equatable {
    /// The ring between the driver and the pipeline.
    public struct Ring: Sendable, Equatable {
        /// Slots, rounded up to a power of two.
        public var capacity: Int = 65_536
        /// What happens when full.
        public var overflow: OverflowPolicy = .dropOldest

        /// Creates ring settings.
        public init(capacity: Int = 65_536, overflow: OverflowPolicy = .dropOldest) {
            self.capacity = capacity
            self.overflow = overflow
        }
    }

    /// A unique name, used in events and `reader.status`.
    public var name: String
    /// The driver: `simulator` (the demo store), or one added by a driver (`llrp`, `usbhid`, `m100`, `poslog`, …).
    public var driver: String
    /// `reads` for readers, `transactions` for POS feeds.
    public var kind: Kind
    /// The zone for antennas not listed in `antennas`.
    public var zone: String?
    /// Antenna port → zone.
    public var antennas: [UInt16: String]
    /// The ring.
    public var ring: Ring
    /// Driver-specific settings (address, device, …), read by the driver itself.
    public var options: [String: String]
    /// Where this source sits in the config, for the driver's own error messages.
    public var path: String

    /// What a source produces.
    public enum Kind: String, Sendable {
        /// Tag reads.
        case reads
        /// POS transactions.
        case transactions
    }

    /// Creates a source configuration.
    public init(name: String, driver: String, kind: Kind = .reads, zone: String? = nil, antennas: [UInt16: String] = [:],
                ring: Ring = Ring(), options: [String: String] = [:], path: String = "") {
        self.name = name
        self.driver = driver
        self.kind = kind
        self.zone = zone
        self.antennas = antennas
        self.ring = ring
        self.options = options
        self.path = path
    }

    /// Reads one entry of `sources:`. Keys other than the common ones become driver options.
    public init(config: ConfigMap) throws {
        name = try config.required("name")
        driver = try config.required("driver")
        let kindText: String = try config.value("kind", default: "reads")
        guard let kind = Kind(rawValue: kindText) else {
            throw ConfigError(.invalidValue, at: config.path(of: "kind"), "'\(kindText)' is not a source kind (reads, transactions)")
        }
        self.kind = kind
        zone = try config.optional("zone")
        var antennas: [UInt16: String] = [:]
        if let map = try config.section("antennas") {
            for key in map.keys {
                guard let port = UInt16(key), port > 0 else {
                    throw ConfigError(.invalidValue, at: map.path(of: key), "'\(key)' is not an antenna port (1–65535)")
                }
                antennas[port] = try map.required(key, as: String.self)
            }
        }
        self.antennas = antennas
        ring = Ring(overflow: kind == .transactions ? .block : .dropOldest)
        if let map = try config.section("ring") {
            ring.capacity = try map.value("capacity", default: ring.capacity)
            guard (2...(1 << 24)).contains(ring.capacity) else {
                throw ConfigError(.invalidValue, at: map.path(of: "capacity"), "\(ring.capacity) is out of range (2–16777216)")
            }
            ring.overflow = try map.value("overflow", default: ring.overflow)
            try map.finish()
        }
        if kind == .transactions {
            guard ring.overflow == .block else {
                throw ConfigError(.invalidValue, at: config.path(of: "ring.overflow"),
                                  "'\(ring.overflow.rawValue)' is not allowed for a POS feed: a sale is never dropped (use block)")
            }
        }
        var options: [String: String] = [:]
        if let map = try config.section("options") {
            for key in map.keys { options[key] = try map.required(key, as: String.self) }
        }
        self.options = options
        path = config.path
    }
}
