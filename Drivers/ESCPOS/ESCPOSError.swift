/// An error raised by the ESC/POS printer tap: its devices and its receipts.
public struct ESCPOSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; stable across releases so callers can branch on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        /// The input or printer device does not exist (yet, or any more).
        public static let notFound = Code(name: "notFound")
        /// A device could not be opened, configured, read or written.
        public static let io = Code(name: "io")
        /// A receipt has no total line, so it is not a sale (a report, a copy, a sign-on slip).
        public static let notASale = Code(name: "notASale")
        /// A line the layout rules matched holds a figure that is not a number (`amount`, `quantity`, a date).
        public static let badFigure = Code(name: "badFigure")
        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence naming what was wrong and where.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
