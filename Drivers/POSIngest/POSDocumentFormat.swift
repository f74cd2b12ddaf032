import GatewayCore

/// A document format the POS listener accepts at one path: POSLog XML, a Square or Shopify webhook.
///
/// A format only turns bytes into transactions. The listener does the rest the same way for every
/// format: size limits, the bearer token, de-duplication, pushing into the source's ring and the
/// HTTP answer.
public protocol POSDocumentFormat: Sendable {
    /// The driver name a source's `driver:` uses (`poslog`, `square`, `shopify`).
    var driver: String { get }
    /// The path the listener routes to this format by default (`/pos/poslog`); a source may set `path`.
    var defaultPath: String { get }
    /// Whether the listener checks the source's bearer token. Webhooks authenticate with their own
    /// signature inside ``parse(_:)`` instead.
    var usesBearerToken: Bool { get }
    /// Parses one request. Throws ``POSIngestError`` when nothing of the document may be ingested:
    /// malformed (400), a bad or missing signature (401).
    func parse(_ request: POSRequest) throws(POSIngestError) -> POSDocument
    /// Completes a parsed document whose ``POSDocument/pending`` transactions the request only refers
    /// to (a Square order notification names an order the format fetches from Square's Orders API).
    ///
    /// Called after ``parse(_:)`` and only when something is still pending once the ledger has
    /// screened it: a delivery seen before, or a pending transaction whose expected key is already
    /// published, is never fetched. It runs on the Swift concurrency pool and may wait on the
    /// network; nothing is pushed or recorded until it returns.
    /// - Returns: the document with every pending transaction moved to `transactions`, `ignored` or
    ///   `rejected`; what is left pending is counted as ignored.
    /// - Throws: ``POSIngestError`` to refuse the whole document: `unavailable` (503) when the other
    ///   end cannot answer now, so the sender retries; `upstream` (502) when it refused.
    func resolve(_ document: POSDocument) async throws(POSIngestError) -> POSDocument
    /// The file extension (without the dot) a drop folder of this format picks up; `nil` when the
    /// format has no files (webhooks), which makes a `dropFolder` option a config error.
    var dropFileExtension: String? { get }
    /// The source option keys the format itself reads, beside the listener's (`path`, `token`,
    /// `dropFolder`, `http`); any other key is then a config error. `nil` skips that check.
    var optionKeys: Set<String>? { get }
}

extension POSDocumentFormat {
    /// Nothing to fetch by default: the document is complete as parsed.
    public func resolve(_ document: POSDocument) async throws(POSIngestError) -> POSDocument { document }
    /// No drop folder by default.
    public var dropFileExtension: String? { nil }
    /// Options are not checked by default.
    public var optionKeys: Set<String>? { nil }
}

/// One HTTP request as a format sees it.
public struct POSRequest: Sendable {
    /// Header fields; names in lower case.
    public var headers: [String: String]
    /// The body, exactly as received (signatures are computed over these bytes).
    public var body: [UInt8]

    /// Creates a request.
    public init(headers: [String: String], body: [UInt8]) {
        self.headers = headers
        self.body = body
    }
}

/// What a document contained.
public struct POSDocument: Sendable {
    /// The sales to ingest, in document order.
    public var transactions: [PosTransaction]
    /// Transactions the document holds that are not sales (POSLog `ControlTransaction`s, webhook
    /// events about something else); counted, not published.
    public var ignored: Int
    /// Transactions of the document refused one by one, each with its reason; the rest are ingested.
    public var rejected: [String]
    /// The delivery's own id (Square `event_id`, Shopify `X-Shopify-Webhook-Id`), de-duplicated
    /// beside the transaction keys; `nil` for formats without one.
    public var deliveryID: String?
    /// Transactions the request only refers to, completed by ``POSDocumentFormat/resolve(_:)``.
    public var pending: [POSPendingTransaction]

    /// Creates a document.
    public init(transactions: [PosTransaction], ignored: Int = 0, rejected: [String] = [], deliveryID: String? = nil,
                pending: [POSPendingTransaction] = []) {
        self.transactions = transactions
        self.ignored = ignored
        self.rejected = rejected
        self.deliveryID = deliveryID
        self.pending = pending
    }
}

/// A transaction a document names but does not carry, such as the order of a Square order
/// notification; its format fetches it in ``POSDocumentFormat/resolve(_:)``.
public struct POSPendingTransaction: Sendable, Equatable {
    /// The format's own reference to it (a Square order id).
    public var reference: String
    /// The ``PosTransaction/key`` it will have, when the request tells enough to know it in advance:
    /// a key the ledger already holds is counted as duplicated and not fetched again.
    public var expectedKey: String?

    /// Creates a pending transaction.
    public init(reference: String, expectedKey: String? = nil) {
        self.reference = reference
        self.expectedKey = expectedKey
    }
}

/// Why a POS document or request was refused.
public struct POSIngestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; stable across releases.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name.
        public let name: String
        /// The document is not well-formed or not the expected format (HTTP 400).
        public static let malformed = Code(name: "malformed")
        /// A signature or bearer token is missing or wrong (HTTP 401).
        public static let unauthorized = Code(name: "unauthorized")
        /// The body or document exceeds a limit (HTTP 413).
        public static let tooLarge = Code(name: "too-large")
        /// The gateway could not keep the document: the bus journal did not sync its transactions within
        /// `pos.commitTimeout`, or the ledger could not be written. It is not recorded as seen, so the
        /// sender should retry (HTTP 503); a sale published after all is de-duplicated by the CRM store.
        public static let storage = Code(name: "storage")
        /// The listener cannot bind or serve its address.
        public static let listen = Code(name: "listen")
        /// A service the document depends on (Square's Orders API) did not answer in time or is
        /// overloaded; nothing of the document was taken, the sender should retry (HTTP 503).
        public static let unavailable = Code(name: "unavailable")
        /// A service the document depends on refused the gateway's request (wrong access token,
        /// unknown order); nothing was taken, and a retry succeeds only once that is fixed (HTTP 502).
        public static let upstream = Code(name: "upstream")
        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence naming what was wrong and where (line and column for XML).
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The HTTP status the listener answers with.
    public var httpStatus: Int {
        switch code {
        case .unauthorized: 401
        case .tooLarge: 413
        case .storage, .unavailable: 503
        case .upstream: 502
        default: 400
        }
    }

    /// The message.
    public var description: String { message }
}
