import GatewayCore

/// Settings of one M100/R200 UHF reader on a serial port: `driver: m100`, or `--reader m100:PATH?baud=N`.
///
/// Options (strings, under the source's `options:`):
/// - `device`: the tty, e.g. `/dev/ttyUSB0` or a `/dev/serial/by-id/…` link (or `url: m100:/dev/ttyUSB0?baud=115200`);
/// - `baud`: 9600, 19200, 38400, 57600, 115200 (default), 230400, 460800 or 921600;
/// - `pollingRounds`: inventory rounds per multiple-polling command, 1–65535 (default 10000; polling is restarted when it ends);
/// - `retryInterval`: how often a missing or vanished port is tried again (default `2s`);
/// - `antenna`: the antenna number reads carry, for zone mapping (default 1).
public struct M100ReaderConfig: Sendable, Equatable {
    /// Baud rates the driver can set.
    public static let supportedBaudRates = [9_600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600]

    /// The serial device path.
    public var path: String
    /// The line speed.
    public var baud: Int
    /// Inventory rounds per multiple-polling command.
    public var pollingRounds: UInt16
    /// How often a missing or vanished port is tried again.
    public var retryInterval: Duration
    /// The antenna number reads carry.
    public var antenna: UInt16
    /// Polling is started again when the reader has sent nothing for this long (its rounds ran out, or it reset).
    public var restartAfterSilence: Duration

    /// Creates a configuration.
    public init(path: String, baud: Int = 115_200, pollingRounds: UInt16 = 10_000, retryInterval: Duration = .seconds(2),
                antenna: UInt16 = 1, restartAfterSilence: Duration = .seconds(2)) {
        self.path = path
        self.baud = baud
        self.pollingRounds = pollingRounds
        self.retryInterval = retryInterval
        self.antenna = antenna
        self.restartAfterSilence = restartAfterSilence
    }

    static let knownKeys: Set<String> = ["device", "url", "baud", "pollingRounds", "retryInterval", "antenna"]

    /// Reads a source's options.
    /// - Throws: `ConfigError` naming the option's key path and the bad value.
    public init(source: SourceConfig) throws {
        func keyPath(_ key: String) -> String {
            if source.path.hasPrefix("--reader") { return source.path }
            return source.path.isEmpty ? "options.\(key)" : "\(source.path).options.\(key)"
        }
        for key in source.options.keys.sorted() where !Self.knownKeys.contains(key) {
            throw ConfigError(.unknownKey, at: keyPath(key), "unknown option (known here: \(Self.knownKeys.sorted().joined(separator: ", ")))")
        }
        var settings = source.options
        var keyOf: [String: String] = [:]
        let path: String
        switch (source.options["device"], source.options["url"]) {
        case (let device?, nil):
            path = device
            keyOf["path"] = "device"
        case (nil, let url?):
            let parsed = try Self.parse(url: url, keyPath: keyPath("url"))
            path = parsed.path
            keyOf["path"] = "url"
            for (key, value) in parsed.query {
                guard ["baud", "pollingRounds", "retryInterval", "antenna"].contains(key) else {
                    throw ConfigError(.invalidValue, at: keyPath("url"),
                                      "'\(url)': unknown query setting '\(key)' (known: antenna, baud, pollingRounds, retryInterval)")
                }
                settings[key] = value
                keyOf[key] = "url"
            }
        case (.some, .some):
            throw ConfigError(.invalidValue, at: keyPath("url"), "give either device or url, not both")
        case (nil, nil):
            throw ConfigError(.missingKey, at: keyPath("device"), "a serial reader needs device: the tty path (e.g. /dev/ttyUSB0)")
        }
        guard path.hasPrefix("/"), path.count > 1 else {
            throw ConfigError(.invalidValue, at: keyPath(keyOf["path"]!), "'\(path)' is not an absolute device path (e.g. /dev/ttyUSB0)")
        }
        self.init(path: path)
        func at(_ key: String) -> String { keyPath(keyOf[key] ?? key) }
        if let text = settings["baud"] {
            guard let baud = Int(text), Self.supportedBaudRates.contains(baud) else {
                throw ConfigError(.invalidValue, at: at("baud"), "'\(text)' is not a supported baud rate ("
                    + Self.supportedBaudRates.map(String.init).joined(separator: ", ") + ")")
            }
            self.baud = baud
        }
        if let text = settings["pollingRounds"] {
            guard let rounds = UInt16(text), rounds > 0 else {
                throw ConfigError(.invalidValue, at: at("pollingRounds"), "'\(text)' is not a number of rounds (1–65535)")
            }
            pollingRounds = rounds
        }
        if let text = settings["retryInterval"] {
            guard let interval = Duration(configText: text), interval >= .milliseconds(100) else {
                throw ConfigError(.invalidValue, at: at("retryInterval"), "'\(text)' is not a duration of at least 100ms (e.g. 2s)")
            }
            retryInterval = interval
        }
        if let text = settings["antenna"] {
            guard let antenna = UInt16(text), antenna > 0 else {
                throw ConfigError(.invalidValue, at: at("antenna"), "'\(text)' is not an antenna port (1–65535)")
            }
            self.antenna = antenna
        }
    }

    /// Splits `m100:PATH[?key=value&…]`; `m100://` before an absolute path is tolerated.
    static func parse(url: String, keyPath: String) throws -> (path: String, query: [(String, String)]) {
        let scheme = "m100:"
        guard url.lowercased().hasPrefix(scheme) else {
            throw ConfigError(.invalidValue, at: keyPath, "'\(url)' is not an m100: URL (e.g. m100:/dev/ttyUSB0?baud=115200)")
        }
        var rest = Substring(url.dropFirst(scheme.count))
        if rest.hasPrefix("///") { rest = rest.dropFirst(2) }
        let path = String(rest.prefix { $0 != "?" })
        var query: [(String, String)] = []
        if let mark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: mark)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard kv.count == 2, !kv[0].isEmpty else {
                    throw ConfigError(.invalidValue, at: keyPath, "'\(url)': '\(pair)' is not key=value")
                }
                query.append((String(kv[0]), String(kv[1])))
            }
        }
        return (path, query)
    }
}
