import GatewayCore

/// Settings of one USB HID badge reader: `driver: usbhid` in `sources`, or `--reader usbhid://VID:PID`.
///
/// Options (all strings, under the source's `options:`):
/// - `device`: `VID:PID` in hex, e.g. `08ff:0009` (or `url: usbhid://08ff:0009`, as `--reader` sets);
/// - `port`: the USB port path (`1-1.2`, as in `/sys/bus/usb/devices`), to tell identical readers apart;
/// - `serial`: the iSerialNumber string, another way to tell identical readers apart;
/// - `debounce`: how long the same card is ignored after a read (default `2s`);
/// - `retryInterval`: how often a missing reader is looked for (default `2s`);
/// - `letterCase`: `upper` (default: hex card IDs compare equal whatever Shift did) or `preserve`.
///
/// A URL may carry the same settings as a query: `usbhid://08ff:0009?port=1-1.2&debounce=1s`.
public struct USBHIDReaderConfig: Sendable, Equatable {
    /// How letters in a card ID are stored.
    public enum LetterCase: String, Sendable {
        /// Upper-cased: a hex card ID typed with or without Shift gives the same credential.
        case upper
        /// As typed, Shift applied.
        case preserve
    }

    /// The USB vendor id.
    public var vendorID: UInt16
    /// The USB product id.
    public var productID: UInt16
    /// USB port path (`bus-port.port…`, e.g. `1-1.2`) that must match, when several identical readers are attached.
    public var port: String?
    /// iSerialNumber that must match, when several identical readers are attached.
    public var serial: String?
    /// The same card is not reported again within this time after a read.
    public var debounce: Duration
    /// How often a missing or unplugged reader is looked for.
    public var retryInterval: Duration
    /// How letters in card IDs are stored.
    public var letterCase: LetterCase
    /// Keystrokes further apart than this start a new card ID (a half-typed ID is dropped).
    public var keystrokeTimeout: Duration

    /// `vvvv:pppp` in lower-case hex, as `lsusb` prints it.
    public var deviceID: String { "\(Self.hex4(vendorID)):\(Self.hex4(productID))" }

    /// Creates a configuration.
    public init(vendorID: UInt16, productID: UInt16, port: String? = nil, serial: String? = nil, debounce: Duration = .seconds(2),
                retryInterval: Duration = .seconds(2), letterCase: LetterCase = .upper, keystrokeTimeout: Duration = .seconds(1)) {
        self.vendorID = vendorID
        self.productID = productID
        self.port = port
        self.serial = serial
        self.debounce = debounce
        self.retryInterval = retryInterval
        self.letterCase = letterCase
        self.keystrokeTimeout = keystrokeTimeout
    }

    /// The option keys this driver reads; any other key is a typo.
    static let knownKeys: Set<String> = ["device", "url", "port", "serial", "debounce", "retryInterval", "letterCase"]

    /// Reads a source's options.
    /// - Throws: `ConfigError` naming the option's key path and the bad value.
    public init(source: SourceConfig) throws {
        var options = OptionReader(source: source)
        for key in source.options.keys.sorted() where !Self.knownKeys.contains(key) {
            throw ConfigError(.unknownKey, at: options.path(of: key),
                              "unknown option (known here: \(Self.knownKeys.sorted().joined(separator: ", ")))")
        }
        var settings = source.options
        let deviceText: String
        let deviceKey: String
        switch (source.options["device"], source.options["url"]) {
        case (let device?, nil):
            deviceText = device
            deviceKey = "device"
        case (nil, let url?):
            deviceKey = "url"
            let parsed = try Self.parse(url: url, path: options.path(of: "url"))
            deviceText = parsed.device
            for (key, value) in parsed.query {
                guard Self.knownKeys.contains(key), key != "device", key != "url" else {
                    throw ConfigError(.invalidValue, at: options.path(of: "url"),
                                      "'\(url)': unknown query setting '\(key)' (known: debounce, letterCase, port, retryInterval, serial)")
                }
                settings[key] = value
            }
            options.settings = settings
        case (.some, .some):
            throw ConfigError(.invalidValue, at: options.path(of: "url"), "give either device or url, not both")
        case (nil, nil):
            throw ConfigError(.missingKey, at: options.path(of: "device"), "a USB reader needs device: VID:PID in hex (e.g. 08ff:0009)")
        }
        guard let ids = Self.parse(deviceID: deviceText) else {
            throw ConfigError(.invalidValue, at: options.path(of: deviceKey),
                              "'\(deviceText)' is not a USB vendor:product in hex (e.g. 08ff:0009)")
        }
        self.init(vendorID: ids.vendor, productID: ids.product)
        port = try options.string("port") { Self.isPortPath($0) ? nil : "is not a USB port path (e.g. 1-1.2)" }
        serial = try options.string("serial") { $0.isEmpty ? "must not be empty" : nil }
        debounce = try options.duration("debounce") ?? debounce
        retryInterval = try options.duration("retryInterval", minimum: .milliseconds(100)) ?? retryInterval
        if let text = try options.string("letterCase", { LetterCase(rawValue: $0) == nil ? "is not a letter case (upper, preserve)" : nil }) {
            letterCase = LetterCase(rawValue: text)!
        }
    }

    /// Parses `VID:PID` (one to four hex digits each).
    static func parse(deviceID text: String) -> (vendor: UInt16, product: UInt16)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ (1...4).contains($0.count) && $0.allSatisfy(\.isHexDigit) }),
              let vendor = UInt16(parts[0], radix: 16), let product = UInt16(parts[1], radix: 16) else { return nil }
        return (vendor, product)
    }

    /// Splits `usbhid://VID:PID[?key=value&…]`.
    static func parse(url: String, path: String) throws -> (device: String, query: [(String, String)]) {
        let scheme = "usbhid://"
        guard url.lowercased().hasPrefix(scheme) else {
            throw ConfigError(.invalidValue, at: path, "'\(url)' is not a usbhid:// URL (e.g. usbhid://08ff:0009)")
        }
        let rest = url.dropFirst(scheme.count)
        let device = rest.prefix { $0 != "?" }
        var query: [(String, String)] = []
        if let mark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: mark)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard kv.count == 2, !kv[0].isEmpty else {
                    throw ConfigError(.invalidValue, at: path, "'\(url)': '\(pair)' is not key=value")
                }
                query.append((String(kv[0]), String(kv[1])))
            }
        }
        return (String(device), query)
    }

    /// `bus-port[.port…]`, e.g. `1-1` or `3-2.4.1`.
    static func isPortPath(_ text: String) -> Bool {
        let halves = text.split(separator: "-", omittingEmptySubsequences: false)
        guard halves.count == 2, let bus = UInt8(halves[0]), bus > 0 else { return false }
        let ports = halves[1].split(separator: ".", omittingEmptySubsequences: false)
        return !ports.isEmpty && ports.allSatisfy { UInt8($0).map { $0 > 0 } ?? false }
    }

    static func hex4(_ value: UInt16) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 4 - text.count) + text
    }
}

/// Reads string options and names them in errors the way the config file spells them.
struct OptionReader {
    let source: SourceConfig
    var settings: [String: String]

    init(source: SourceConfig) {
        self.source = source
        settings = source.options
    }

    /// `sources[2].options.debounce`; a `--reader` URL names itself, as that is what the user typed.
    func path(of key: String) -> String {
        if source.path.hasPrefix("--reader") { return source.path }
        return source.path.isEmpty ? "options.\(key)" : "\(source.path).options.\(key)"
    }

    /// The value of `key`, checked by `problem` (which returns what is wrong, or `nil`).
    func string(_ key: String, _ problem: (String) -> String? = { _ in nil }) throws -> String? {
        guard let value = settings[key] else { return nil }
        if let problem = problem(value) { throw ConfigError(.invalidValue, at: path(of: key), "'\(value)' \(problem)") }
        return value
    }

    /// A duration such as `250ms` or `2s`.
    func duration(_ key: String, minimum: Duration = .zero) throws -> Duration? {
        guard let text = settings[key] else { return nil }
        guard let value = Duration(configText: text) else {
            throw ConfigError(.invalidValue, at: path(of: key), "'\(text)' is not a duration (use a number and a unit: ms, s, m, h, d)")
        }
        guard value >= minimum else {
            throw ConfigError(.invalidValue, at: path(of: key), "'\(text)' is too short (at least \(minimum.milliseconds)ms)")
        }
        return value
    }
}
