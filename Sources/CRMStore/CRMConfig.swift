import GatewayCore

/// The CRM store's settings: `crm:` in the config.
///
/// ```yaml
/// crm:
///   db: .gateway/crm.sqlite
///   url: postgres://crm:${CRM_DB_PASSWORD}@db.example:5432/crm   # optional; wins over db
///   embedded: true
///   retention:
///     presence: 7d
///     visits: 365d
///     transactions: 0s        # keep; e.g. 3650d for a ten-year tax period
///   seed:
///     customers: customers.csv
///     products: products.csv
///   batch:
///     maxEvents: 500
///     maxDelay: 50ms
///   consent:                  # the customer.consent input, on the POS listener; off by default
///     enabled: true
///     path: /crm/consent
///     token: ${CONSENT_TOKEN} # required when enabled
/// ```
public struct CRMConfig: ConfigSection, Sendable, Equatable {
    /// CSV files imported when the store starts with empty tables: `crm.seed`.
    public struct Seed: ConfigSection, Sendable, Equatable {
        /// The customers CSV, as written in the config; relative paths are the caller's to resolve
        /// against the config file's folder.
        public var customers: String?
        /// The products CSV, as written in the config; resolved like ``customers``.
        public var products: String?

        /// No seed files.
        public init() {}

        /// Reads `crm.seed`.
        public init(config: ConfigMap) throws {
            customers = try Self.path(config, "customers")
            products = try Self.path(config, "products")
        }

        private static func path(_ config: ConfigMap, _ key: String) throws -> String? {
            guard let value: String = try config.optional(key) else { return nil }
            guard !value.isEmpty else { throw ConfigError(.invalidValue, at: config.path(of: key), "must not be empty") }
            return value
        }
    }

    /// How events are grouped into write transactions: `crm.batch`.
    ///
    /// One transaction per event would cap the store at a few hundred events a second on an fsync;
    /// batching trades a little latency for throughput.
    public struct Batch: ConfigSection, Sendable, Equatable {
        /// The most events written in one transaction.
        public var maxEvents: Int = 500
        /// The longest an event waits for its batch to fill before it is written anyway.
        public var maxDelay: Duration = .milliseconds(50)

        /// The defaults: 500 events or 50 ms, whichever comes first.
        public init() {}

        /// Reads `crm.batch`.
        public init(config: ConfigMap) throws {
            maxEvents = try config.value("maxEvents", default: maxEvents)
            guard (1...1_000_000).contains(maxEvents) else {
                throw ConfigError(.invalidValue, at: config.path(of: "maxEvents"), "\(maxEvents) is out of range (1–1000000)")
            }
            maxDelay = try config.value("maxDelay", default: maxDelay)
            guard maxDelay <= .seconds(60) else {
                throw ConfigError(.invalidValue, at: config.path(of: "maxDelay"),
                                  "\(maxDelay.milliseconds)ms is too long (at most 60s): the dashboard would lag behind")
            }
        }
    }

    /// How long data is kept: `crm.retention`. Each table has its own age; `0s` keeps it for ever.
    ///
    /// Raw presence is kept for hours to days, visits (the aggregate) for a year, and sales for as long
    /// as the store's tax period needs, which only the store knows: so sales are kept unless it says.
    public struct Retention: ConfigSection, Sendable, Equatable {
        /// How long raw presence rows are kept; `nil` (`0s` in the config) keeps them for ever.
        public var presence: Duration? = .seconds(7 * 86_400)
        /// How long visits are kept, counted from their end (their start when they never ended); `nil` keeps them.
        public var visits: Duration? = .seconds(365 * 86_400)
        /// How long sales are kept, counted from their `ended_at`, with their lines and tenders; `nil` keeps them.
        public var transactions: Duration?

        /// A table retention ages, with the shortest age it accepts.
        public enum Table: String, CaseIterable, Sendable {
            case presence, visits, transactions

            /// The shortest age accepted: presence younger than a minute is still being linked; for visits
            /// and sales a unit typo (`365m` for `365d`) must not wipe history.
            public var shortest: Duration { self == .presence ? .seconds(60) : .seconds(86_400) }

            /// What the table keeps, in messages.
            var keeping: String { self == .transactions ? "sales" : rawValue }
        }

        /// The defaults: presence for 7 days, visits for 365 days, sales for ever.
        public init() {}

        /// Explicit ages; `nil` keeps that table for ever.
        public init(presence: Duration?, visits: Duration?, transactions: Duration?) {
            self.presence = presence
            self.visits = visits
            self.transactions = transactions
        }

        /// Reads `crm.retention`.
        public init(config: ConfigMap) throws {
            presence = try Self.age(config, .presence, default: presence)
            visits = try Self.age(config, .visits, default: visits)
            transactions = try Self.age(config, .transactions, default: transactions)
        }

        /// Why `value` cannot be the age of `table`; `nil` when it can. `0s` (keep for ever) always can.
        public static func problem(_ value: Duration, for table: Table) -> String? {
            let shortest = table.shortest
            guard value != .zero, value < shortest else { return nil }
            let unit = shortest >= .seconds(86_400) ? "\(shortest.components.seconds / 86_400)d" : "\(shortest.components.seconds / 60)m"
            return "\(value.milliseconds)ms is too short (at least \(unit), or 0s to keep \(table.keeping) for ever)"
        }

        private static func age(_ config: ConfigMap, _ table: Table, default fallback: Duration?) throws -> Duration? {
            let key = table.rawValue
            let value: Duration = try config.value(key, default: fallback ?? .zero)
            if let problem = problem(value, for: table) {
                throw ConfigError(.invalidValue, at: config.path(of: key), problem)
            }
            return value == .zero ? nil : value
        }
    }

    /// The `customer.consent` input: `crm.consent`. Another system (the loyalty app, the CRM, a kiosk)
    /// POSTs customers' consent decisions to the POS listener at ``path``.
    ///
    /// Off unless asked for, and never without a token: whoever can reach the route can switch a
    /// customer's recognition on, so only a system holding the token may.
    public struct ConsentInputConfig: ConfigSection, Sendable, Equatable {
        /// Whether the route is served.
        public var enabled = false
        /// The route's path.
        public var path = "/crm/consent"
        /// The bearer token the route requires; required when ``enabled``.
        public var token: String?

        /// The defaults: not served.
        public init() {}

        /// Reads `crm.consent`.
        public init(config: ConfigMap) throws {
            enabled = try config.value("enabled", default: enabled)
            path = try config.value("path", default: path)
            try RoutePath.check(path, path: config.path(of: "path"))
            token = try config.optional("token")
            if token?.isEmpty == true {
                throw ConfigError(.invalidValue, at: config.path(of: "token"), "must not be empty")
            }
            if enabled, token == nil {
                throw ConfigError(.invalidValue, at: config.path(of: "token"),
                                  "is required with enabled: true (consent changes must come from a system holding it, e.g. \"${CONSENT_TOKEN}\")")
            }
        }
    }

    /// The SQLite database file, relative to the working directory: master data, and the events
    /// when no `url` says otherwise.
    public var db: String = ".gateway/crm.sqlite"
    /// `crm.url` as written, when given: `sqlite:PATH`, a plain path, or `postgres://…`.
    public var url: String?
    /// Where events are written: `url` when given, else the SQLite file `db`.
    public var location: StoreLocation = .sqlite(path: ".gateway/crm.sqlite")
    /// How long presence, visits and sales are kept.
    public var retention = Retention()
    /// Whether the store runs inside `gateway run`; `false` when a separate `gateway store` process subscribes instead.
    public var embedded: Bool = true
    /// Seed files for a fresh store.
    public var seed = Seed()
    /// Write batching.
    public var batch = Batch()
    /// The `customer.consent` input.
    public var consent = ConsentInputConfig()

    /// The defaults: an embedded store at `.gateway/crm.sqlite`, no seed files.
    public init() {}

    /// Reads `crm:`.
    public init(config: ConfigMap) throws {
        db = try config.value("db", default: db)
        guard !db.isEmpty else { throw ConfigError(.invalidValue, at: config.path(of: "db"), "must not be empty") }
        embedded = try config.value("embedded", default: embedded)
        location = .sqlite(path: db)
        if let url: String = try config.optional("url") { try use(url: url, key: config.path(of: "url")) }
        retention = try config.decode("retention")
        seed = try config.decode("seed")
        batch = try config.decode("batch")
        consent = try config.decode("consent")
    }

    /// Sets where events go from a store URL written at config key `key` (`crm.url`, or `store.url`):
    /// a SQLite URL becomes the one `db` file; PostgreSQL is refused for the embedded store.
    ///
    /// - Throws: `ConfigError` naming `key`.
    public mutating func use(url: String, key: String) throws {
        let location: StoreLocation
        do {
            location = try StoreLocation.parse(url, origin: key)
        } catch {
            throw ConfigError(.invalidValue, at: key, String(error.message.dropFirst(key.count + 1)))
        }
        switch location {
        case .sqlite(let path):
            // A SQLite url names the one file: master data and events stay together.
            db = path
        case .postgres:
            if embedded {
                throw ConfigError(.invalidValue, at: key, """
                    the store embedded in `gateway run` writes SQLite; a PostgreSQL store runs as `gateway store --db \(location)` \
                    (set crm.embedded: false)
                    """)
            }
        }
        self.url = url
        self.location = location
    }
}
