import Foundation

extension CRMStoreError.Code {
    /// A store URL (`--db`, `crm.url`) is not one the store can use.
    public static let location = CRMStoreError.Code(name: "location")
}

/// Where the CRM store writes events: a SQLite file or a PostgreSQL database.
///
/// Written as `sqlite:PATH`, a plain path (SQLite), or
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`.
/// `${NAME}` anywhere in the text is replaced by the environment variable NAME, so a password can stay
/// out of the config file and the process list.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite file (one store, or a small chain).
    case sqlite(path: String)
    /// A PostgreSQL database (a chain of stores).
    case postgres(PostgresLocation)

    /// Parses a store URL.
    ///
    /// - Parameters:
    ///   - text: the URL as written.
    ///   - origin: the flag or key it came from (`--db`, `crm.url`), named in any error.
    ///   - environment: the variables `${NAME}` is read from.
    /// - Throws: ``CRMStoreError/Code/location`` naming `origin` and what is wrong; the password is
    ///   never repeated in the message.
    public static func parse(_ text: String, origin: String,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws(CRMStoreError) -> StoreLocation {
        let shown = redact(text)
        func fail(_ why: String) -> CRMStoreError { CRMStoreError(.location, "\(origin) '\(shown)': \(why)") }
        guard !text.isEmpty else { throw CRMStoreError(.location, "\(origin): must not be empty") }
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw fail("no file after sqlite:") }
            return .sqlite(path: try expand(path, environment: environment, fail: fail))
        }
        let scheme = text.firstIndex(of: ":").map { text[..<$0] }
        if let scheme, !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0 == "+" }),
           text[text.index(after: scheme.endIndex)...].hasPrefix("//") {
            guard scheme == "postgres" || scheme == "postgresql" else {
                throw fail("'\(scheme)' is not a store this gateway writes; use sqlite:PATH, a plain path, or postgres://USER@HOST:PORT/DATABASE")
            }
            return .postgres(try PostgresLocation(url: text, environment: environment, fail: fail))
        }
        return .sqlite(path: try expand(text, environment: environment, fail: fail))
    }

    /// The URL with its password hidden, for logs.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let location): location.description
        }
    }

    /// `text` with the password of a `scheme://user:password@` URL replaced by `***`.
    public static func redact(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"),
              let at = text[schemeEnd.upperBound...].firstIndex(of: "@") else { return text }
        let userInfo = text[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    /// Replaces each `${NAME}` with its variable, percent-encoded with `allowed` when given (inside a URL).
    static func expand(_ text: String, environment: [String: String], allowed: CharacterSet? = nil,
                       fail: (String) -> CRMStoreError) throws(CRMStoreError) -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw fail("'${' without a closing '}'") }
            let name = String(rest[start.upperBound..<end])
            guard !name.isEmpty else { throw fail("'${}' names no environment variable") }
            guard let value = environment[name] else { throw fail("environment variable \(name) is not set") }
            result += allowed.flatMap { value.addingPercentEncoding(withAllowedCharacters: $0) } ?? value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}

/// A PostgreSQL server and database, from a `postgres://` URL.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is encrypted: libpq's `sslmode`, without certificate-less `require`.
    public enum TLSMode: String, Sendable, Equatable {
        /// Plain TCP (loopback, or a network the operator trusts).
        case disable
        /// TLS when the server offers it, else plain; libpq's default.
        case prefer
        /// TLS with a verified certificate, or no connection.
        case require
    }

    /// The server's host name or address.
    public var host: String
    /// The server's port.
    public var port: Int
    /// The role to sign in as.
    public var username: String
    /// Its password; `nil` for trust or peer authentication.
    public var password: String?
    /// The database.
    public var database: String
    /// TLS.
    public var tls: TLSMode

    /// Creates a location.
    public init(host: String, port: Int = 5432, username: String, password: String?, database: String, tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    init(url text: String, environment: [String: String], fail: (String) -> CRMStoreError) throws(CRMStoreError) {
        // Expanded percent-encoded, so a password with '@' or '/' in it cannot change the URL's shape.
        let expanded = try StoreLocation.expand(text, environment: environment, allowed: .urlPasswordAllowed, fail: fail)
        guard let components = URLComponents(string: expanded) else { throw fail("not a URL") }
        guard let host = components.host, !host.isEmpty else { throw fail("no host (postgres://USER@HOST:PORT/DATABASE)") }
        guard let user = components.user, !user.isEmpty else { throw fail("no user name (postgres://USER@HOST:PORT/DATABASE)") }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw fail("\(port) is not a port (1–65535)") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty, !path.contains("/") else { throw fail("no database name after the host (…/DATABASE)") }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw fail("sslmode '\(item.value ?? "")' is not one of disable, prefer, require")
                }
                tls = mode
            default:
                throw fail("unknown parameter '\(item.name)' (only sslmode is read)")
            }
        }
        self.init(host: host, port: port, username: user, password: components.password,
                  database: path.removingPercentEncoding ?? path, tls: tls)
    }

    /// `postgres://user@host:port/database`, without the password.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }
}
