import Foundation
import GatewayCore
import POSIngest

/// Reads a webhook source's `options:` with key paths for every error.
///
/// A format is built from a ``SourceConfig`` whose `options` are already strings (`${ENV}` resolved by
/// the config loader), so this only checks presence, emptiness and meaning.
struct WebhookOptions {
    let source: SourceConfig
    let driver: String

    /// Fails on the first option key that neither the format nor the POS listener (`path`, `token`, …) knows.
    init(source: SourceConfig, driver: String, known: Set<String>) throws {
        self.source = source
        self.driver = driver
        let allowed = known.union(POSSourceOptions.keys)
        for key in source.options.keys.sorted() where !allowed.contains(key) {
            throw ConfigError(.unknownKey, at: path(key), "is not a \(driver) webhook option (known: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// The key path of an option, e.g. `sources[3].options.secret`.
    func path(_ key: String) -> String {
        source.path.isEmpty ? "options.\(key)" : "\(source.path).options.\(key)"
    }

    /// A value that must be present and not blank.
    func required(_ key: String, _ why: String) throws -> String {
        guard let value = source.options[key] else {
            throw ConfigError(.missingKey, at: path(key), "is required: \(why)")
        }
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ConfigError(.invalidValue, at: path(key), "must not be empty: \(why)")
        }
        return value
    }

    /// A value that is optional but, when given, not blank.
    func optional(_ key: String) throws -> String? {
        guard let value = source.options[key] else { return nil }
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ConfigError(.invalidValue, at: path(key), "must not be empty (leave the key out for the default)")
        }
        return value
    }

    /// An IANA time zone name such as `Europe/Berlin`; UTC when absent.
    func timeZone(_ key: String) throws -> TimeZone {
        guard let name = try optional(key) else { return TimeZone(identifier: "UTC")! }
        guard let zone = TimeZone(identifier: name) else {
            throw ConfigError(.invalidValue, at: path(key), "'\(name)' is not a time zone name (e.g. Europe/Berlin, America/New_York, UTC)")
        }
        return zone
    }

    /// A duration with a unit (`500ms`, `5s`) within `range`; `defaultValue` when absent.
    func duration(_ key: String, default defaultValue: Duration, range: ClosedRange<Duration>) throws -> Duration {
        guard let text = try optional(key) else { return defaultValue }
        guard let value = Duration(configText: text.trimmingCharacters(in: .whitespaces)) else {
            throw ConfigError(.invalidValue, at: path(key), "'\(text)' is not a duration (use a number and a unit: ms, s, m)")
        }
        guard range.contains(value) else {
            throw ConfigError(.invalidValue, at: path(key), "'\(text)' is out of range (\(range.lowerBound)–\(range.upperBound))")
        }
        return value
    }

    /// `true`/`false` (also `yes`/`no`, `on`/`off`).
    func flag(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard let text = source.options[key] else { return defaultValue }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigError(.invalidValue, at: path(key), "'\(text)' is not true or false")
        }
    }
}
