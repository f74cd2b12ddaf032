/// A `HOST:PORT` a server binds (the dashboard, the POS listener), as written in the config or on the command line.
public struct ListenAddress: Sendable, Equatable {
    /// The host; `127.0.0.1` when the text gave none (`:8080`).
    public var host: String
    /// The port, 1–65535.
    public var port: Int

    /// Parses `HOST:PORT` (`[::1]:8080` for IPv6); errors name `path` and read
    /// `'127.0.0.1:99999' is not a port (1–65535)`.
    public static func parse(_ text: String, path: String) throws -> ListenAddress {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ConfigError(.invalidValue, at: path, "'\(text)' is not HOST:PORT") }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw ConfigError(.invalidValue, at: path, "'\(text)' is not HOST:PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        if host.isEmpty { host = "127.0.0.1" }
        guard let port = Int(portText), (1...65_535).contains(port) else {
            throw ConfigError(.invalidValue, at: path, "'\(text)' is not a port (1–65535)")
        }
        return ListenAddress(host: String(host), port: port)
    }

    /// Loopback: `localhost`, `127.0.0.0/8`, `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// An HTTP route path a listener serves, as the config gives it (a POS source's `options.path`, `crm.consent.path`).
public enum RoutePath {
    /// Checks that `route` can be served: it starts with `/`, has no spaces or query, and is not `/healthz`.
    /// - Throws: `ConfigError` at `path`.
    public static func check(_ route: String, path: String) throws {
        guard route.hasPrefix("/"), !route.contains(" "), !route.contains("?"), route != "/healthz" else {
            throw ConfigError(.invalidValue, at: path, "'\(route)' is not a route path (it starts with /, has no spaces or query, and is not /healthz)")
        }
    }
}
