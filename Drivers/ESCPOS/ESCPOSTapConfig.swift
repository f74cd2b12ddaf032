import Foundation
import GatewayCore

/// Settings of one ESC/POS printer tap: `driver: escpos`, `kind: transactions`.
///
/// Options (strings, under the source's `options:`):
/// - `input`: the tty (or pty, or FIFO) the POS prints into, e.g. `/dev/ttyUSB0`; required;
/// - `baud`: the input line speed, 9600 (default) up to 921600;
/// - `printer`: where every byte goes on to: a tty, a USB printer (`/dev/usb/lp0`) or a file; absent means parse only;
/// - `printerBaud`: the printer tty's speed (default: `baud`);
/// - `printerBuffer`: bytes held for a slow or absent printer before new bytes are dropped (default 1048576);
/// - `retryInterval`: how often a missing or vanished device is tried again (default `2s`);
/// - `receiptTimeout`: end a receipt after this much silence, for printers without a cutter (default: only a cut ends one);
/// - `codePage`: the page text starts in and `ESC @` returns to: cp437 (default), or another of ``ESCPOSCodePage/all``;
/// - `maxReceiptSize` (characters, default 65536), `maxLineLength` (characters, default 256);
/// - `store`, `workstation`: the ids the transactions carry (default: the source's name);
/// - `currency` (ISO 4217, default USD), `timeZone` (IANA, default: the host's), `decimalSeparator` (`.` default, or `,`);
/// - the layout rules, regular expressions: see ``ReceiptLayout/ruleKeys``.
public struct ESCPOSTapConfig: Sendable, Equatable {
    /// Baud rates the driver can set.
    public static let supportedBaudRates = [9_600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600]

    /// The device the POS writes to.
    public var input: String
    /// The input line speed.
    public var baud: Int
    /// The real printer, when there is one.
    public var printer: String?
    /// The printer tty's line speed.
    public var printerBaud: Int
    /// Bytes held for the printer before new ones are dropped.
    public var printerBuffer: Int
    /// How often a missing or vanished device is tried again.
    public var retryInterval: Duration
    /// Silence that ends a receipt; nil when only a cut does.
    public var receiptTimeout: Duration?
    /// The page text starts in.
    public var codePage: ESCPOSCodePage
    /// Receipt and line bounds.
    public var limits: ESCPOSParser.Limits
    /// What turns receipt text into a transaction.
    public var layout: ReceiptLayout

    /// Creates a configuration.
    public init(input: String, baud: Int = 9_600, printer: String? = nil, printerBaud: Int? = nil, printerBuffer: Int = 1 << 20,
                retryInterval: Duration = .seconds(2), receiptTimeout: Duration? = nil, codePage: ESCPOSCodePage = .cp437,
                limits: ESCPOSParser.Limits = .init(), layout: ReceiptLayout) {
        self.input = input
        self.baud = baud
        self.printer = printer
        self.printerBaud = printerBaud ?? baud
        self.printerBuffer = printerBuffer
        self.retryInterval = retryInterval
        self.receiptTimeout = receiptTimeout
        self.codePage = codePage
        self.limits = limits
        self.layout = layout
    }

    static let deviceKeys: Set<String> = [
        "input", "baud", "printer", "printerBaud", "printerBuffer", "retryInterval", "receiptTimeout", "codePage",
        "maxReceiptSize", "maxLineLength", "store", "workstation", "currency", "timeZone", "decimalSeparator",
    ]

    /// Every option this driver reads.
    public static var knownKeys: Set<String> { deviceKeys.union(ReceiptLayout.ruleKeys) }

    /// Reads a source's options.
    /// - Throws: `ConfigError` naming the option's key path and the bad value.
    public init(source: SourceConfig) throws(ConfigError) {
        func keyPath(_ key: String) -> String { source.path.isEmpty ? "options.\(key)" : "\(source.path).options.\(key)" }
        let options = source.options
        for key in options.keys.sorted() where !Self.knownKeys.contains(key) {
            throw ConfigError(.unknownKey, at: keyPath(key), "unknown option (known here: \(Self.knownKeys.sorted().joined(separator: ", ")))")
        }
        func devicePath(_ key: String) throws(ConfigError) -> String? {
            guard let path = options[key] else { return nil }
            guard path.hasPrefix("/"), path.count > 1 else {
                throw ConfigError(.invalidValue, at: keyPath(key), "'\(path)' is not an absolute path (e.g. /dev/ttyUSB0)")
            }
            return path
        }
        guard let input = try devicePath("input") else {
            throw ConfigError(.missingKey, at: keyPath("input"), "a printer tap needs input: the tty the POS prints into (e.g. /dev/ttyUSB0)")
        }
        func baudRate(_ key: String) throws(ConfigError) -> Int? {
            guard let text = options[key] else { return nil }
            guard let baud = Int(text), Self.supportedBaudRates.contains(baud) else {
                throw ConfigError(.invalidValue, at: keyPath(key), "'\(text)' is not a supported baud rate ("
                    + Self.supportedBaudRates.map(String.init).joined(separator: ", ") + ")")
            }
            return baud
        }
        func count(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
            guard let text = options[key] else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw ConfigError(.invalidValue, at: keyPath(key), "'\(text)' is not a whole number in \(range.lowerBound)–\(range.upperBound)")
            }
            return value
        }
        func duration(_ key: String) throws(ConfigError) -> Duration? {
            guard let text = options[key] else { return nil }
            guard let value = Duration(configText: text), value >= .milliseconds(100) else {
                throw ConfigError(.invalidValue, at: keyPath(key), "'\(text)' is not a duration of at least 100ms (e.g. 2s)")
            }
            return value
        }
        let baud = try baudRate("baud") ?? 9_600
        var codePage = ESCPOSCodePage.cp437
        if let text = options["codePage"] {
            guard let page = ESCPOSCodePage.named(text) else {
                throw ConfigError(.invalidValue, at: keyPath("codePage"), "'\(text)' is not a supported code page ("
                    + ESCPOSCodePage.all.map(\.name).joined(separator: ", ") + ")")
            }
            codePage = page
        }
        let limits = ESCPOSParser.Limits(maxReceiptSize: try count("maxReceiptSize", in: 256...16_777_216) ?? 65_536,
                                         maxLineLength: try count("maxLineLength", in: 16...65_536) ?? 256)
        var context = ReceiptLayout.Context(store: options["store"] ?? source.name, workstation: options["workstation"] ?? source.name)
        for key in ["store", "workstation"] where options[key]?.isEmpty == true {
            throw ConfigError(.invalidValue, at: keyPath(key), "must not be empty")
        }
        if let currency = options["currency"] {
            guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                throw ConfigError(.invalidValue, at: keyPath("currency"), "'\(currency)' is not an ISO 4217 code (e.g. EUR)")
            }
            context.currency = currency
        }
        if let name = options["timeZone"] {
            guard let zone = TimeZone(identifier: name) else {
                throw ConfigError(.invalidValue, at: keyPath("timeZone"), "'\(name)' is not a time zone (e.g. Europe/Berlin)")
            }
            context.timeZone = zone
        }
        if let separator = options["decimalSeparator"] {
            guard separator == "." || separator == "," else {
                throw ConfigError(.invalidValue, at: keyPath("decimalSeparator"), "'\(separator)' is not a decimal separator (. or ,)")
            }
            context.decimalSeparator = Character(separator)
        }
        var rules = ReceiptLayout.defaultRules
        for key in ReceiptLayout.ruleKeys {
            if let pattern = options[key] { rules[key] = pattern }
        }
        let layout = try ReceiptLayout(rules: rules, context: context, keyPath: keyPath)
        self.init(input: input, baud: baud, printer: try devicePath("printer"), printerBaud: try baudRate("printerBaud"),
                  printerBuffer: try count("printerBuffer", in: 4_096...(1 << 30)) ?? 1 << 20,
                  retryInterval: try duration("retryInterval") ?? .seconds(2), receiptTimeout: try duration("receiptTimeout"),
                  codePage: codePage, limits: limits, layout: layout)
    }
}
