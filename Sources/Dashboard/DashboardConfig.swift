import Bus
import GatewayCore

/// `dashboard:` — the staff dashboard served by the gateway.
///
/// ```yaml
/// dashboard:
///   enabled: true
///   listen: 127.0.0.1:8080
///   sessionTTL: 12h
///   connect: ["tcp://10.0.0.2:5556"]   # another gateway of the store
///   replay: ["tcp://10.0.0.2:5557"]    # its replay, so gaps are filled
///   users:
///     - { name: anna, passwordHash: "$2b$12$…" }
/// ```
public struct DashboardConfig: ConfigSection, Sendable, Equatable {
    /// A staff user declared in the config file rather than in the CRM store.
    public struct User: Sendable, Equatable {
        /// The sign-in name.
        public var name: String
        /// A bcrypt hash (`$2a$`, `$2b$` or `$2y$`), never a clear-text password.
        public var passwordHash: String

        /// Creates a user.
        public init(name: String, passwordHash: String) {
            self.name = name
            self.passwordHash = passwordHash
        }
    }

    /// Whether `gateway run` serves the dashboard.
    public var enabled = true
    /// The host the listener binds.
    public var host = "127.0.0.1"
    /// The port the listener binds; 0 (only when set in code, as tests do) lets the kernel pick one.
    public var port = 8080
    /// Binding anything but loopback must be asked for: the dashboard shows customers' first names.
    public var allowNonLoopback = false
    /// How long a sign-in lasts without being renewed.
    public var sessionTTL: Duration = .seconds(12 * 3600)
    /// Users from the config; merged with the CRM store's staff users (the config wins on a name clash).
    public var users: [User] = []
    /// More buses to subscribe to beside the gateway's own (other gateways of the same store).
    public var connect: [String] = []
    /// The replay endpoint of each ``connect`` bus, in the same order; with them the dashboard
    /// fetches what it missed from those gateways' journals. Empty: those buses are not recovered.
    public var replay: [String] = []

    /// The defaults: enabled on 127.0.0.1:8080.
    public init() {}

    /// Reads the section; every error names its key path.
    public init(config: ConfigMap) throws {
        enabled = try config.value("enabled", default: enabled)
        if let listen: String = try config.optional("listen") {
            let address = try ListenAddress.parse(listen, path: config.path(of: "listen"))
            (host, port) = (address.host, address.port)
        }
        allowNonLoopback = try config.value("allowNonLoopback", default: allowNonLoopback)
        sessionTTL = try config.value("sessionTTL", default: sessionTTL)
        guard sessionTTL >= .seconds(60) else {
            throw ConfigError(.invalidValue, at: config.path(of: "sessionTTL"), "'\(sessionTTL)' is too short (at least 1m)")
        }
        users = try config.mappings("users") { map in
            let name: String = try map.required("name")
            let hash: String = try map.required("passwordHash")
            if let problem = StaffUserName.problem(name) {
                throw ConfigError(.invalidValue, at: map.path(of: "name"), "'\(name)' \(problem)")
            }
            guard PasswordHasher.isHash(hash) else {
                throw ConfigError(.invalidValue, at: map.path(of: "passwordHash"),
                                  "is not a bcrypt hash (create one with `gateway users add NAME`)")
            }
            return User(name: name, passwordHash: hash)
        } ?? []
        connect = try config.list("connect", of: String.self) ?? []
        replay = try config.list("replay", of: String.self) ?? []
        for (key, endpoints) in [("connect", connect), ("replay", replay)] {
            for endpoint in endpoints {
                if let problem = BusConfig.problem(endpoint: endpoint) { throw ConfigError(.invalidValue, at: config.path(of: key), problem) }
            }
        }
        if !replay.isEmpty, replay.count != connect.count {
            throw ConfigError(.invalidValue, at: config.path(of: "replay"),
                              "gives \(replay.count) endpoints for \(connect.count) in connect: one replay per connect, in the same order")
        }
        try validate(path: config.path)
    }

    /// The listen address as `HOST:PORT`.
    public var listen: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether ``host`` is a loopback address.
    public var isLoopback: Bool { ListenAddress.isLoopback(host) }

    /// Checks what spans keys: a non-loopback listener needs `allowNonLoopback`.
    public func validate(path: String) throws {
        let listenPath = path.isEmpty ? "listen" : "\(path).listen"
        if !isLoopback, !allowNonLoopback {
            throw ConfigError(.invalidValue, at: listenPath,
                              "'\(listen)' is not a loopback address; set allowNonLoopback: true to serve staff on the network")
        }
    }
}
