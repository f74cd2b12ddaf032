import Foundation
import GatewayCore
import POSIngest

/// ARTS POSLog XML as a format of the POS listener (`driver: poslog`), over HTTP and from a drop folder.
///
/// Options of a `poslog` source (beside the listener's own `path`, `token`, `dropFolder`, `http`):
/// `timeZone` (IANA name for date-times written without an offset; default the host's zone) and
/// `maxDepth` (element nesting limit, default 64).
public struct POSLogFormat: POSDocumentFormat {
    /// `poslog`.
    public var driver: String { "poslog" }
    /// `/pos/poslog`.
    public var defaultPath: String { "/pos/poslog" }
    /// POSLog has no signature of its own: the listener checks the source's bearer token.
    public var usesBearerToken: Bool { true }
    /// POSLog exports are files too: the drop folder picks up `*.xml`.
    public var dropFileExtension: String? { "xml" }
    /// The format's own option keys.
    public var optionKeys: Set<String>? { ["timeZone", "maxDepth"] }

    /// The parser with its limits and time zone.
    public let parser: POSLogParser

    /// Creates the format around a parser.
    public init(parser: POSLogParser = POSLogParser()) {
        self.parser = parser
    }

    /// Reads a source's `options:` (`timeZone`, `maxDepth`); errors name the key path.
    public init(source: SourceConfig) throws {
        func path(_ key: String) -> String { source.path.isEmpty ? "options.\(key)" : "\(source.path).options.\(key)" }
        // Checked here too, so `gateway doctor` and start-up catch a typo before the listener is built.
        let known = Set(["timeZone", "maxDepth"]).union(POSSourceOptions.keys)
        for key in source.options.keys.sorted() where !known.contains(key) {
            throw ConfigError(.unknownKey, at: path(key), "is not a poslog option (\(known.sorted().joined(separator: ", ")))")
        }
        var parser = POSLogParser()
        if let name = source.options["timeZone"] {
            guard let zone = TimeZone(identifier: name) else {
                throw ConfigError(.invalidValue, at: path("timeZone"), "'\(name)' is not an IANA time zone (e.g. Europe/Paris, UTC)")
            }
            parser.timeZone = zone
        }
        if let text = source.options["maxDepth"] {
            guard let depth = Int(text), (8...1_000).contains(depth) else {
                throw ConfigError(.invalidValue, at: path("maxDepth"), "'\(text)' is not a nesting depth (8–1000)")
            }
            parser.limits.maxDepth = depth
        }
        self.init(parser: parser)
    }

    /// Parses one POSLog document; the listener has already applied its body size limit.
    public func parse(_ request: POSRequest) throws(POSIngestError) -> POSDocument {
        try parser.parse(request.body)
    }
}
