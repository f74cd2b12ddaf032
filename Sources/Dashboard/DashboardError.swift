/// A failure of the dashboard: its configuration, its listener, its users.
public struct DashboardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; stable so callers can branch on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        /// The configuration or a command-line value is unusable.
        public static let config = Code(name: "config")
        /// The listener could not be set up.
        public static let listen = Code(name: "listen")
        /// Staff users could not be read or written.
        public static let users = Code(name: "users")
        /// The first-run password file could not be written.
        public static let passwordFile = Code(name: "passwordFile")
        /// The bus subscriber failed.
        public static let feed = Code(name: "feed")
        /// The CRM store could not be read.
        public static let store = Code(name: "store")
        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence naming what went wrong and where.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
