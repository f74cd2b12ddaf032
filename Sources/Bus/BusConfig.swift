import GatewayCore

/// The bus: `bus:` in the config.
///
/// ```yaml
/// bus:
///   publish: tcp://127.0.0.1:5556
///   replay: tcp://127.0.0.1:5557
///   sendHighWaterMark: 100000
///   receiveHighWaterMark: 100000
///   allowNonLoopback: false
///   curve:                      # optional: encrypt the bus and admit only listed subscribers (see BusCurveServer)
///     serverSecretKey: keys/server.key
///     allowedClients: [keys/client.pub]
///   journal:
///     enabled: true
///     groupCommit: 5ms
///     maxBytes: 268435456
///     segmentBytes: 67108864
///     maxAge: 7d
/// ```
public struct BusConfig: ConfigSection, Sendable, Equatable {
    /// The journal: `bus.journal:` in the config.
    public struct JournalSettings: ConfigSection, Sendable, Equatable {
        /// Whether events are journalled; without it a restart starts over at seq 1 and nothing can be replayed.
        public var enabled: Bool = true
        /// How long appended records may wait before they are synced to disk together.
        public var groupCommit: Duration = .milliseconds(5)
        /// The most bytes the journal keeps; beyond it the oldest whole segments are deleted.
        public var maxBytes: Int = 256 * 1_024 * 1_024
        /// The size at which the journal starts a new segment file: the unit in which old records are retired.
        ///
        /// When the YAML leaves it out it is 64 MiB or a quarter of `maxBytes`, whichever is smaller.
        public var segmentBytes: Int = Journal.defaultSegmentBytes
        /// How long records are kept at least; a segment is deleted once its newest record is older.
        public var maxAge: Duration = .seconds(7 * 86_400)

        /// The defaults.
        public init() {}

        /// Reads `bus.journal:`.
        public init(config: ConfigMap) throws {
            enabled = try config.value("enabled", default: enabled)
            groupCommit = try config.value("groupCommit", default: groupCommit)
            maxBytes = try config.value("maxBytes", default: maxBytes)
            // Unset, a segment is a quarter of a small budget at most, so retention still has whole segments to drop.
            segmentBytes = try config.value("segmentBytes", default: min(segmentBytes, maxBytes / 4))
            maxAge = try config.value("maxAge", default: maxAge)
            if let found = problem() {
                throw ConfigError(.invalidValue, at: config.path(of: found.key), found.problem)
            }
        }

        /// The first unusable setting as its key and a sentence, or `nil` when all are fine.
        func problem() -> (key: String, problem: String)? {
            guard groupCommit >= .milliseconds(1), groupCommit <= .seconds(10) else {
                return ("groupCommit", "\(groupCommit.milliseconds)ms is out of range (1ms–10s)")
            }
            guard maxBytes >= 1_024 * 1_024 else {
                return ("maxBytes", "\(maxBytes) is too small (at least 1048576, 1 MiB)")
            }
            // Retention deletes whole segments, so a segment larger than the budget could never be kept within it.
            guard segmentBytes >= 64 * 1_024, segmentBytes <= maxBytes else {
                return ("segmentBytes", "\(segmentBytes) is out of range (65536 (64 KiB) to maxBytes, \(maxBytes))")
            }
            guard maxAge >= .seconds(60) else {
                return ("maxAge", "\(maxAge.milliseconds)ms is too short (at least 1m)")
            }
            return nil
        }
    }

    /// Where the publisher binds: `tcp://HOST:PORT`, `ipc://PATH` or `inproc://NAME`.
    public var publish: String = "tcp://127.0.0.1:5556"
    /// Where the replay server binds: subscribers fetch missed events from the journal here (see ``ReplayServer``).
    public var replay: String = "tcp://127.0.0.1:5557"
    /// Messages queued per subscriber before the publisher refuses more (they stay in the journal).
    public var sendHighWaterMark: Int = 100_000
    /// Messages a subscriber queues before ZeroMQ pushes back on the publisher.
    public var receiveHighWaterMark: Int = 100_000
    /// Allows `publish` and `replay` to bind a TCP address other than loopback.
    ///
    /// Off by default. Without ``curve`` the bus speaks plain, unauthenticated TCP, so anyone who
    /// can reach the port reads every event: turn it on only behind a firewall or a tunnel. With
    /// ``curve`` the bus is encrypted and admits only allowed subscribers, but binding beyond
    /// loopback still takes this flag: exposing the gateway on the store network stays a decision
    /// written into the config, not a side effect of adding keys.
    public var allowNonLoopback: Bool = false
    /// CURVE encryption and the subscriber allow-list: `bus.curve:`; `nil` is plain TCP.
    public var curve: BusCurveServer?
    /// The journal.
    public var journal = JournalSettings()

    /// The defaults.
    public init() {}

    /// Reads `bus:`.
    public init(config: ConfigMap) throws {
        publish = try config.value("publish", default: publish)
        replay = try config.value("replay", default: replay)
        sendHighWaterMark = try config.value("sendHighWaterMark", default: sendHighWaterMark)
        receiveHighWaterMark = try config.value("receiveHighWaterMark", default: receiveHighWaterMark)
        allowNonLoopback = try config.value("allowNonLoopback", default: allowNonLoopback)
        if let section = try config.section("curve") {
            curve = try BusCurveServer(config: section)
            try section.finish()
        }
        journal = try config.decode("journal")
        if let found = endpointProblem(allowFlagPath: config.path(of: "allowNonLoopback")) {
            throw ConfigError(.invalidValue, at: config.path(of: found.key), found.problem)
        }
        for (key, value) in [("sendHighWaterMark", sendHighWaterMark), ("receiveHighWaterMark", receiveHighWaterMark)]
        where !(1...Int(Int32.max)).contains(value) {
            throw ConfigError(.invalidValue, at: config.path(of: key), "\(value) is out of range (1–\(Int32.max))")
        }
    }

    /// Checks the settings a program built by hand rather than read from YAML.
    public func validate() throws(BusError) {
        if let found = endpointProblem(allowFlagPath: "bus.allowNonLoopback") {
            throw BusError(.config, "bus.\(found.key): \(found.problem)")
        }
        for (key, value) in [("sendHighWaterMark", sendHighWaterMark), ("receiveHighWaterMark", receiveHighWaterMark)]
        where !(1...Int(Int32.max)).contains(value) {
            throw BusError(.config, "bus.\(key): \(value) is out of range (1–\(Int32.max))")
        }
        if journal.enabled, let found = journal.problem() {
            throw BusError(.config, "bus.journal.\(found.key): \(found.problem)")
        }
    }

    /// The first unusable bind endpoint as its key and a sentence, or `nil` when both are fine.
    private func endpointProblem(allowFlagPath: String) -> (key: String, problem: String)? {
        if let problem = Self.problem(bindEndpoint: publish, allowNonLoopback: allowNonLoopback, allowFlagPath: allowFlagPath, curve: curve != nil) {
            return ("publish", problem)
        }
        if let problem = Self.problem(bindEndpoint: replay, allowNonLoopback: allowNonLoopback, allowFlagPath: allowFlagPath, curve: curve != nil) {
            return ("replay", problem)
        }
        // Both sockets cannot bind one address; saying so here beats a bind error at start.
        if replay == publish {
            return ("replay", "'\(replay)' is also bus.publish; the replay server needs an endpoint of its own")
        }
        return nil
    }

    /// What is wrong with `endpoint` as an address to bind, or `nil` when it is fine.
    ///
    /// - Parameters:
    ///   - allowNonLoopback: whether a TCP host other than loopback is acceptable.
    ///   - allowFlagPath: the key path to name when suggesting the override.
    ///   - curve: whether the socket is a CURVE server; the flag is needed all the same, the message differs.
    public static func problem(bindEndpoint endpoint: String, allowNonLoopback: Bool, allowFlagPath: String = "bus.allowNonLoopback",
                               curve: Bool = false) -> String? {
        if let problem = problem(endpoint: endpoint) { return problem }
        guard let (host, _) = tcpHostAndPort(endpoint) else { return nil }
        if !allowNonLoopback && !isLoopback(host: host) && curve {
            return "'\(endpoint)' binds '\(host)', which is not loopback; the bus is encrypted with CURVE, but exposing it beyond "
                + "this machine must be explicit (set \(allowFlagPath): true)"
        }
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
