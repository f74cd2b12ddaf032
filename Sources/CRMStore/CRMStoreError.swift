import GRDB

/// An error raised by the CRM store: opening or migrating the database, importing CSV, writing events, querying.
public struct CRMStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; stable across releases so callers can branch on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        /// The database file could not be opened or created.
        public static let open = Code(name: "open")
        /// The schema could not be brought up to date, or was written by a newer gateway.
        public static let migration = Code(name: "migration")
        /// A CSV file could not be read or its header is unusable (bad lines are reported, not thrown).
        public static let csv = Code(name: "csv")
        /// Rows could not be written.
        public static let write = Code(name: "write")
        /// Rows could not be read back.
        public static let query = Code(name: "query")
        /// The customer (or other record) asked for is not in the store.
        public static let notFound = Code(name: "notFound")
        /// A message from another system (a `customer.consent` body) could not be read as a whole.
        public static let invalidInput = Code(name: "invalidInput")
        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence naming what was being done, where, and what went wrong.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Wraps an error from SQLite or elsewhere with the operation and the file it concerned.
    ///
    /// An error that already is a `CRMStoreError` passes through unchanged: it was raised with
    /// better context deeper down than `context` can give.
    init(_ code: Code, _ context: String, wrapping error: any Error) {
        if let error = error as? CRMStoreError {
            self = error
        } else if let error = error as? DatabaseError {
            // `DatabaseError.description` names the SQL but, by default, not the arguments: customer
            // data stays out of logs.
            self.init(code, "\(context): \(error.description)")
        } else {
            self.init(code, "\(context): \(error)")
        }
    }

    /// The message.
    public var description: String { message }
}
