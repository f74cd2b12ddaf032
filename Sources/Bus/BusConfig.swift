import GatewayCore

/// The bus: `bus:` in the config.
///
/// ```yaml
/// bus:
///   publish: tcp://127.0.0.1:5556
///   sendHighWaterMark: 100000
///   receiveHighWaterMark: 100000
///   allowNonLoopback: false
///   journal:
///     enabled: true
///     groupCommit: 5ms
///     maxBytes: 268435456
/// ```
public struct BusConfig: ConfigSection, Sendable, Equatable {
    /// The journal: `bus.journal:` in the config.
    public struct JournalSettings: ConfigSection, Sendable, Equatable {
        /// Whether events are journalled; without it a restart starts over at seq 1 and nothing can be replayed.
        public var enabled: Bool = true
        /// How long appended records may wait before they are synced to disk together.
        public var groupCommit: Duration = .milliseconds(5)
        /// The most bytes the journal keeps before old records are dropped.
        public var maxBytes: Int = 256 * 1_024 * 1_024

        /// The defaults.
        public init() {}

        /// Reads `bus.journal:`.
        public init(config: ConfigMap) throws {
            enabled = try config.value("enabled", default: enabled)
            groupCommit = try config.value("groupCommit", default: groupCommit)
            maxBytes = try config.value("maxBytes", default: maxBytes)
            guard groupCommit >= .milliseconds(1), groupCommit <= .seconds(10) else {
                throw ConfigError(.invalidValue, at: config.path(of: "groupCommit"),
                                  "\(groupCommit.milliseconds)ms is out of range (1ms–10s)")
            }
            guard maxBytes >= 1_024 * 1_024 else {
                throw ConfigError(.invalidValue, at: config.path(of: "maxBytes"), "\(maxBytes) is too small (at least 1048576, 1 MiB)")
            }
        }
    }

    /// Where the publisher binds: `tcp://HOST:PORT`, `ipc://PATH` or `inproc://NAME`.
    public var publish: String = "tcp://127.0.0.1:5556"
    /// Messages queued per subscriber before the publisher refuses more (they stay in the journal).
    public var sendHighWaterMark: Int = 100_000
    /// Messages a subscriber queues before ZeroMQ pushes back on the publisher.
    public var receiveHighWaterMark: Int = 100_000
    /// Allows `publish` to bind a TCP address other than loopback.
    ///
    /// Off by default: the bus speaks plain, unauthenticated TCP, so anyone who can reach the
    /// port reads every event. Turn it on only behind a firewall or a tunnel.
    public var allowNonLoopback: Bool = false
    /// The journal.
    public var journal = JournalSettings()

    /// The defaults.
    public init() {}

    /// Reads `bus:`.
    public init(config: ConfigMap) throws {
        publish = try config.value("publish", default: publish)
        sendHighWaterMark = try config.value("sendHighWaterMark", default: sendHighWaterMark)
        receiveHighWaterMark = try config.value("receiveHighWaterMark", default: receiveHighWaterMark)
        allowNonLoopback = try config.value("allowNonLoopback", default: allowNonLoopback)
        journal = try config.decode("journal")
        if let problem = Self.problem(bindEndpoint: publish, allowNonLoopback: allowNonLoopback, allowFlagPath: config.path(of: "allowNonLoopback")) {
            throw ConfigError(.invalidValue, at: config.path(of: "publish"), problem)
        }
        for (key, value) in [("sendHighWaterMark", sendHighWaterMark), ("receiveHighWaterMark", receiveHighWaterMark)]
        where !(1...Int(Int32.max)).contains(value) {
            throw ConfigError(.invalidValue, at: config.path(of: key), "\(value) is out of range (1–\(Int32.max))")
        }
    }

    /// Checks the settings a program built by hand rather than read from YAML.
    public func validate() throws(BusError) {
        if let problem = Self.problem(bindEndpoint: publish, allowNonLoopback: allowNonLoopback, allowFlagPath: "bus.allowNonLoopback") {
            throw BusError(.config, "bus.publish: \(problem)")
        }
        for (key, value) in [("sendHighWaterMark", sendHighWaterMark), ("receiveHighWaterMark", receiveHighWaterMark)]
        where !(1...Int(Int32.max)).contains(value) {
            throw BusError(.config, "bus.\(key): \(value) is out of range (1–\(Int32.max))")
        }
        if journal.enabled && journal.groupCommit <= .zero {
            throw BusError(.config, "bus.journal.groupCommit: must be positive")
        }
    }

    /// What is wrong with `endpoint` as an address to bind, or `nil` when it is fine.
    ///
    /// - Parameters:
    ///   - allowNonLoopback: whether a TCP host other than loopback is acceptable.
    ///   - allowFlagPath: the key path to name when suggesting the override.
    public static func problem(bindEndpoint endpoint: String, allowNonLoopback: Bool, allowFlagPath: String = "bus.allowNonLoopback") -> String? {
        if let problem = problem(endpoint: endpoint) { return problem }
        guard let (host, _) = tcpHostAndPort(endpoint) else { return nil }
        if !allowNonLoopback && !isLoopback(host: host) {
            return "'\(endpoint)' binds '\(host)', which is not loopback; the bus is plain, unauthenticated TCP, so only "
                + "127.x.x.x, localhost and [::1] are allowed (set \(allowFlagPath): true to accept the risk)"
        }
        return nil
    }

    /// What is wrong with `endpoint` as a ZeroMQ address, or `nil` when it is well-formed.
    public static func problem(endpoint: String) -> String? {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") {
            let rest = endpoint.drop { $0 != "/" }.dropFirst(2)
            return rest.isEmpty ? "'\(endpoint)' names no path" : nil
        }
        guard endpoint.hasPrefix("tcp://") else {
            return "'\(endpoint)' is not an endpoint (tcp://HOST:PORT, ipc://PATH or inproc://NAME)"
        }
        let address = endpoint.dropFirst("tcp://".count)
        guard let colon = address.lastIndex(of: ":"), colon != address.startIndex else {
            return "'\(endpoint)' is not tcp://HOST:PORT"
        }
        let host = address[..<colon]
        if host.contains(":") && !(host.hasPrefix("[") && host.hasSuffix("]")) {
            return "'\(endpoint)' has an IPv6 host without brackets (tcp://[::1]:PORT)"
        }
        guard let port = Int(address[address.index(after: colon)...]), (1...65_535).contains(port) else {
            return "'\(endpoint)' is not a port (1–65535)"
        }
        return nil
    }

    /// The host and port of a well-formed `tcp://` endpoint; `nil` for other transports.
    static func tcpHostAndPort(_ endpoint: String) -> (host: String, port: Int)? {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        let address = endpoint.dropFirst("tcp://".count)
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return nil }
        return (String(address[..<colon]), port)
    }

    /// Whether `host` can only be reached from this machine.
    static func isLoopback(host: String) -> Bool {
        if host == "localhost" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ $0.count <= 3 && UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }
}
