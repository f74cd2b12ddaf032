import GatewayCore

/// `pos:` — the POS listener shared by every POS source that uses a listener format.
///
/// ```yaml
/// pos:
///   listen: 127.0.0.1:8081
///   maxBodyBytes: 16777216
///   ledgerRetention: 35d
///   dropFolderPoll: 1s
///   commitTimeout: 3s
///   readTimeout: 30s
/// ```
public struct POSListenerConfig: ConfigSection, Sendable, Equatable {
    /// The host the listener binds.
    public var host = "127.0.0.1"
    /// The port the listener binds; 0 (only when set in code, as tests do) lets the kernel pick one.
    public var port = 8081
    /// Binding anything but loopback must be asked for: POS documents carry customers' loyalty ids.
    public var allowNonLoopback = false
    /// The largest request body (and drop-folder file) accepted; larger ones get 413.
    public var maxBodyBytes = 16 << 20
    /// How long the idempotency ledger remembers a transaction; a POS re-sending something older
    /// than this would publish it again. Longer than any export's catch-up window.
    public var ledgerRetention: Duration = .seconds(35 * 86_400)
    /// How often drop folders are scanned.
    public var dropFolderPoll: Duration = .seconds(1)
    /// How long a document waits for the bus journal to sync its transactions before it is answered
    /// 503 (a full or failing disk). Below the webhook senders' own timeouts (Shopify waits 5 s).
    public var commitTimeout: Duration = .seconds(3)
    /// How long a connection may send nothing, before a request or within one, until it is closed.
    public var readTimeout: Duration = .seconds(30)

    /// The defaults: 127.0.0.1:8081, 16 MiB, 35 days, 1 s, 3 s, 30 s.
    public init() {}

    /// Reads `pos:`; every error names its key path.
    public init(config: ConfigMap) throws {
        if let listen: String = try config.optional("listen") {
            let address = try ListenAddress.parse(listen, path: config.path(of: "listen"))
            (host, port) = (address.host, address.port)
        }
        allowNonLoopback = try config.value("allowNonLoopback", default: allowNonLoopback)
        maxBodyBytes = try config.value("maxBodyBytes", default: maxBodyBytes)
        guard (1_024...(1 << 30)).contains(maxBodyBytes) else {
            throw ConfigError(.invalidValue, at: config.path(of: "maxBodyBytes"), "\(maxBodyBytes) is out of range (1024–1073741824)")
        }
        ledgerRetention = try config.value("ledgerRetention", default: ledgerRetention)
        guard ledgerRetention >= .seconds(3_600) else {
            throw ConfigError(.invalidValue, at: config.path(of: "ledgerRetention"), "'\(ledgerRetention)' is too short (at least 1h)")
        }
        dropFolderPoll = try config.value("dropFolderPoll", default: dropFolderPoll)
        guard dropFolderPoll >= .milliseconds(50), dropFolderPoll <= .seconds(3_600) else {
            throw ConfigError(.invalidValue, at: config.path(of: "dropFolderPoll"), "'\(dropFolderPoll)' is out of range (50ms–1h)")
        }
        commitTimeout = try config.value("commitTimeout", default: commitTimeout)
        guard commitTimeout >= .milliseconds(100), commitTimeout <= .seconds(60) else {
            throw ConfigError(.invalidValue, at: config.path(of: "commitTimeout"), "'\(commitTimeout)' is out of range (100ms–60s)")
        }
        readTimeout = try config.value("readTimeout", default: readTimeout)
        guard readTimeout >= .milliseconds(100), readTimeout <= .seconds(3_600) else {
            throw ConfigError(.invalidValue, at: config.path(of: "readTimeout"), "'\(readTimeout)' is out of range (100ms–1h)")
        }
        try validate(path: config.path)
    }

    /// The listen address as `HOST:PORT`.
    public var listen: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Checks what spans keys: a non-loopback listener needs `allowNonLoopback`.
    public func validate(path: String) throws {
        if !ListenAddress.isLoopback(host), !allowNonLoopback {
            throw ConfigError(.invalidValue, at: path.isEmpty ? "listen" : "\(path).listen",
                              "'\(listen)' is not a loopback address; set allowNonLoopback: true to accept POS documents from the network")
        }
    }
}

/// What the listener reads from one POS source's `options:` beside the format's own keys.
public struct POSSourceOptions: Sendable, Equatable {
    /// The option keys the listener reads.
    public static let keys: Set<String> = ["path", "token", "dropFolder", "http"]

    /// The HTTP path of the source's route; `nil` when `http: false` (drop folder only).
    public var path: String?
    /// The bearer token the route requires, when set (formats with their own signature ignore it).
    public var token: String?
    /// The folder watched for files, when set.
    public var dropFolder: String?

    /// Creates options directly (tests).
    public init(path: String?, token: String? = nil, dropFolder: String? = nil) {
        self.path = path
        self.token = token
        self.dropFolder = dropFolder
    }

    /// Reads the listener's options of `source`, served by `format`; errors name the key path.
    public init(source: SourceConfig, format: any POSDocumentFormat) throws {
        func path(_ key: String) -> String { source.path.isEmpty ? "options.\(key)" : "\(source.path).options.\(key)" }
        if let own = format.optionKeys {
            let known = own.union(Self.keys)
            for key in source.options.keys.sorted() where !known.contains(key) {
                throw ConfigError(.unknownKey, at: path(key), "is not a \(format.driver) option (\(known.sorted().joined(separator: ", ")))")
            }
        }
        var http = true
        if let text = source.options["http"] {
            switch text.lowercased() {
            case "true", "yes", "on": http = true
            case "false", "no", "off": http = false
            default: throw ConfigError(.invalidValue, at: path("http"), "'\(text)' is not true or false")
            }
        }
        let route = source.options["path"] ?? format.defaultPath
        try RoutePath.check(route, path: path("path"))
        self.path = http ? route : nil
        token = source.options["token"]
        if token?.isEmpty == true {
            throw ConfigError(.invalidValue, at: path("token"), "must not be empty (leave the key out to accept requests without a token)")
        }
        dropFolder = source.options["dropFolder"]
        if dropFolder != nil, format.dropFileExtension == nil {
            throw ConfigError(.invalidValue, at: path("dropFolder"), "the \(format.driver) format has no files to pick up")
        }
        if dropFolder?.isEmpty == true {
            throw ConfigError(.invalidValue, at: path("dropFolder"), "must not be empty")
        }
        if !http, dropFolder == nil {
            throw ConfigError(.invalidValue, at: path("http"), "false leaves the source no input: set dropFolder too")
        }
    }
}
