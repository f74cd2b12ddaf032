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
        /// The POS workstations (tills) whose sales are linked to the items seen here (`checkout` only).
        public var workstations: [String]

        /// Creates a zone.
        public init(name: String, role: Role, workstations: [String] = []) {
            self.name = name
            self.role = role
            self.workstations = workstations
        }
    }

    /// The zones; the default is an entrance, a floor and a checkout.
    public var zones: [Zone] = [
        Zone(name: "entrance", role: .entrance), Zone(name: "floor", role: .floor), Zone(name: "checkout", role: .checkout),
    ]
    /// GS1 company prefixes of the store's own goods: shorthand for including every GS1-keyed EPC
    /// (SGTIN, SSCC, SGLN, GRAI, GIAI, GDTI, GSRN, GSRNP, SGCN, CPI, ITIP) of these prefixes, any filter.
    public var companyPrefixes: [String] = []
    /// The edge filter's EPC patterns, `store.filter`.
    public var filter = TagFilter()
    /// `store.url` as written: where this store's CRM data goes (`sqlite:PATH`, a path, `postgres://…`).
    /// Only kept here; the CRM store's config checks and uses it, as it does `crm.url`.
    public var url: String?

    /// EPC pattern URIs deciding which tags enter the pipeline; the pipeline compiles them.
    ///
    /// A tag is let in when it matches an `include` pattern or a `companyPrefixes` prefix (when both
    /// are empty: when it is an EPC of any TDS scheme), and matches no `exclude` pattern. Tags
    /// without a TDS header are never let in, unless they are a customer's registered credential.
    public struct TagFilter: Sendable, Equatable {
        /// Pattern URIs (`urn:epc:pat:…`, `urn:epc:idpat:…`) of tags to let in.
        public var include: [String]
        /// Pattern URIs of tags to keep out, even when included.
        public var exclude: [String]
        /// Where the filter sits in the config (`store.filter`), for the pipeline's error messages.
        public var path: String

        /// A filter of these patterns.
        public init(include: [String] = [], exclude: [String] = [], path: String = "store.filter") {
            self.include = include
            self.exclude = exclude
            self.path = path
        }
    }

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
            let workstations = try map.list("workstations", of: String.self) ?? []
            if !workstations.isEmpty, role != .checkout {
                throw ConfigError(.invalidValue, at: map.path(of: "workstations"), "only a checkout zone has workstations (this one is '\(role.rawValue)')")
            }
            return Zone(name: name, role: role, workstations: workstations)
        }) {
            guard !zones.isEmpty else { throw ConfigError(.invalidValue, at: config.path(of: "zones"), "needs at least one zone") }
            var seen = Set<String>()
            for (index, zone) in zones.enumerated() where !seen.insert(zone.name).inserted {
                throw ConfigError(.invalidValue, at: "\(config.path(of: "zones"))[\(index)].name", "'\(zone.name)' is used twice")
            }
            var tills: [String: String] = [:]
            for (index, zone) in zones.enumerated() {
                for workstation in zone.workstations {
                    if let other = tills.updateValue(zone.name, forKey: workstation) {
                        throw ConfigError(.invalidValue, at: "\(config.path(of: "zones"))[\(index)].workstations",
                                          "workstation '\(workstation)' is already the till of zone '\(other)'")
                    }
                }
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
        url = try config.optional("url")
        if let map = try config.section("filter") {
            filter.path = map.path
            for key in ["include", "exclude"] {
                let patterns = try map.list(key, of: String.self) ?? []
                for (index, pattern) in patterns.enumerated() {
                    if let problem = EPCPatternSyntax.problem(pattern) {
                        throw ConfigError(.invalidValue, at: "\(map.path(of: key))[\(index)]", "'\(pattern)' is not an EPC pattern (\(problem))")
                    }
                }
                if key == "include" { filter.include = patterns } else { filter.exclude = patterns }
            }
            try map.finish()
        }
    }

    /// The zone named `name`.
    public func zone(named name: String) -> Zone? { zones.first { $0.name == name } }

    /// The checkout zone a till's sales are linked at: the zone listing the workstation, else the
    /// store's only checkout zone; `nil` when neither exists.
    public func checkoutZone(ofWorkstation workstation: String) -> Zone? {
        if let zone = zones.first(where: { $0.workstations.contains(workstation) }) { return zone }
        let checkouts = zones.filter { $0.role == .checkout }
        return checkouts.count == 1 ? checkouts[0] : nil
    }
}

/// The shape of EPC pattern URIs (TDS §6.5, §12), checked when the config is read.
///
/// GatewayCore does not link the EPC decoder, so this checks syntax only: the scheme, the number
/// of fields and what each field may look like. Whether the values fit their fields (digit counts,
/// bit widths) is checked when the pipeline compiles the patterns with EPC.
enum EPCPatternSyntax {
    // Field kinds: f filter (number or range), p company prefix (6–12 digits), d digits (may be
    // empty), i integer or range, n integer, s string, e string that may be empty, c CAGE/DoDAAC.
    static let tagSchemes: [String: String] = [
        "sgtin-96": "fpdi", "sgtin-198": "fpds", "sscc-96": "fpd", "sgln-96": "fpdi", "sgln-195": "fpds",
        "grai-96": "fpdi", "grai-170": "fpds", "giai-96": "fpn", "giai-202": "fps", "gdti-96": "fpdi",
        "gdti-174": "fpds", "gsrn-96": "fpd", "gsrnp-96": "fpd", "sgcn-96": "fpdn", "cpi-96": "fpni",
        "cpi-var": "fpsi", "itip-110": "fpdiii", "itip-212": "fpdiis", "gid-96": "iii", "usdod-96": "fci",
        "adi-var": "fces",
    ]
    static let identitySchemes: [String: String] = [
        "sgtin": "pds", "sscc": "pd", "sgln": "pds", "grai": "pds", "giai": "ps", "gdti": "pds", "gsrn": "pd",
        "gsrnp": "pd", "sgcn": "pdn", "cpi": "psn", "itip": "pdnns", "gid": "nnn", "usdod": "cn", "adi": "ces",
    ]

    /// What is wrong with `pattern`, or `nil` when its shape is right.
    static func problem(_ pattern: String) -> String? {
        let kinds: String
        let body: Substring
        let isTagPattern = pattern.hasPrefix("urn:epc:pat:")
        if isTagPattern || pattern.hasPrefix("urn:epc:idpat:") {
            let rest = pattern.dropFirst(isTagPattern ? "urn:epc:pat:".count : "urn:epc:idpat:".count)
            guard let colon = rest.firstIndex(of: ":") else { return "no scheme after \(isTagPattern ? "urn:epc:pat:" : "urn:epc:idpat:")" }
            let scheme = String(rest[..<colon])
            guard let known = (isTagPattern ? tagSchemes : identitySchemes)[scheme] else {
                return "'\(scheme)' is not a TDS \(isTagPattern ? "binary scheme" : "EPC scheme")"
            }
            kinds = known
            body = rest[rest.index(after: colon)...]
        } else {
            return "it starts with neither urn:epc:pat: nor urn:epc:idpat:"
        }
        let fields = body.split(separator: ".", maxSplits: kinds.count - 1, omittingEmptySubsequences: false)
        guard fields.count == kinds.count else { return "\(kinds.count) dot-separated fields expected, found \(fields.count)" }
        for (field, kind) in zip(fields, kinds) where field != "*" {
            if let problem = problem(field, kind: kind) { return problem }
        }
        return nil
    }

    private static func problem(_ field: Substring, kind: Character) -> String? {
        let digits = !field.isEmpty && field.allSatisfy { $0.isASCII && $0.isNumber }
        let isRange = field.hasPrefix("[") && field.hasSuffix("]") && {
            let bounds = field.dropFirst().dropLast().split(separator: "-", omittingEmptySubsequences: false)
            return bounds.count == 2 && bounds.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
        }()
        switch kind {
        case "f": return digits || isRange ? nil : "filter '\(field)' is not a number, a range [low-high] or *"
        case "p": return digits && (6...12).contains(field.count) ? nil : "company prefix '\(field)' is not 6 to 12 digits or *"
        case "d": return field.isEmpty || digits ? nil : "'\(field)' is not digits or *"
        case "i": return digits || isRange ? nil : "'\(field)' is not a number, a range [low-high] or *"
        case "n": return digits ? nil : "'\(field)' is not a number or *"
        case "c": return (5...6).contains(field.count) && field.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase) }) ? nil : "'\(field)' is not a CAGE code or DoDAAC"
        default:
            // s and e: URI characters, with %XX for the rest.
            if field.isEmpty { return kind == "e" ? nil : "a field is empty" }
            let allowed = field.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "!'()*+,-.:;=_%".unicodeScalars.contains(scalar))
            }
            return allowed ? nil : "'\(field)' has characters a URI must escape as %XX"
        }
    }
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
