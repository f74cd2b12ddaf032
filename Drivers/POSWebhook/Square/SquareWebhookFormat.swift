import AsyncHTTPClient
import Foundation
import GatewayCore
import POSIngest

/// Settings of a `driver: square` source, read from its `options:`.
///
/// - `secret` (required): the subscription's signature key; write `${SQUARE_SIGNATURE_KEY}` to keep it
///   out of the file.
/// - `notificationURL` (required): the URL exactly as entered in the Square subscription; Square
///   signs it together with the body, so a proxy that rewrites the URL must not change this value.
/// - `workstation`: the till id transactions carry (default `square`).
/// - `timeZone`: the store's IANA time zone, for the business day (default `UTC`).
/// - `accessToken`: a token for Square's Orders API (`${SQUARE_ACCESS_TOKEN}`). With it, Square's own
///   `order.created`/`order.updated` summaries of a completed order are completed by fetching the
///   order; without it they are counted as ignored.
/// - `apiBaseURL`: where the Orders API is (default `https://connect.squareup.com`;
///   `https://connect.squareupsandbox.com` for the sandbox). Plain `http` only to a loopback host.
/// - `apiTimeout`: the longest one fetch may take (default `5s`, `100ms`–`60s`).
/// - `apiVersion`: the `Square-Version` header (default ``SquareWebhookConfig/defaultAPIVersion``).
public struct SquareWebhookConfig: Sendable {
    /// The signature key.
    public var secret: String
    /// The notification URL Square signs.
    public var notificationURL: String
    /// The workstation id of every transaction from this source.
    public var workstation: String
    /// The store's time zone; an order's business day is its creation date there.
    public var timeZone: TimeZone
    /// The Orders API token; `nil` leaves order summaries unfetched (counted as ignored).
    public var accessToken: String?
    /// The Orders API's base URL, without a trailing slash.
    public var apiBaseURL: String
    /// The longest one fetch from the Orders API may take.
    public var apiTimeout: Duration
    /// The `Square-Version` header sent with every fetch.
    public var apiVersion: String
    /// The source's key path in the config (`sources[2]`), for messages about its options.
    public var sourcePath: String

    /// The option keys this format reads.
    public static let optionKeys: Set<String> = [
        "secret", "notificationURL", "workstation", "timeZone", "accessToken", "apiBaseURL", "apiTimeout", "apiVersion",
    ]
    /// Square's production API.
    public static let defaultAPIBaseURL = "https://connect.squareup.com"
    /// The API version the Order fields read here were checked against.
    public static let defaultAPIVersion = "2025-10-16"
    /// Square gives a webhook 10 s to answer; a fetch must leave time for the rest.
    public static let defaultAPITimeout: Duration = .seconds(5)

    /// Creates settings.
    public init(secret: String, notificationURL: String, workstation: String = "square", timeZone: TimeZone = TimeZone(identifier: "UTC")!,
                accessToken: String? = nil, apiBaseURL: String = defaultAPIBaseURL, apiTimeout: Duration = defaultAPITimeout,
                apiVersion: String = defaultAPIVersion, sourcePath: String = "") {
        self.secret = secret
        self.notificationURL = notificationURL
        self.workstation = workstation
        self.timeZone = timeZone
        self.accessToken = accessToken
        self.apiBaseURL = apiBaseURL
        self.apiTimeout = apiTimeout
        self.apiVersion = apiVersion
        self.sourcePath = sourcePath
    }

    /// Reads a source's `options:`.
    /// - Throws: `ConfigError` naming the key path (`sources[2].options.secret`).
    public init(source: SourceConfig) throws {
        let options = try WebhookOptions(source: source, driver: "square", known: Self.optionKeys)
        secret = try options.required("secret", "the subscription's signature key verifies every notification")
        notificationURL = try options.required("notificationURL", "Square signs the notification URL together with the body")
        guard let url = URL(string: notificationURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw ConfigError(.invalidValue, at: options.path("notificationURL"), "'\(notificationURL)' is not an http(s) URL")
        }
        workstation = try options.optional("workstation") ?? "square"
        timeZone = try options.timeZone("timeZone")
        sourcePath = source.path
        accessToken = try options.optional("accessToken")
        apiBaseURL = try Self.baseURL(options.optional("apiBaseURL") ?? Self.defaultAPIBaseURL, at: options.path("apiBaseURL"))
        apiTimeout = try options.duration("apiTimeout", default: Self.defaultAPITimeout, range: .milliseconds(100)...(.seconds(60)))
        apiVersion = try options.optional("apiVersion") ?? Self.defaultAPIVersion
        guard apiVersion.utf8.count == 10, apiVersion.utf8.enumerated().allSatisfy({ $0.offset == 4 || $0.offset == 7
            ? $0.element == UInt8(ascii: "-") : (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0.element) }) else {
            throw ConfigError(.invalidValue, at: options.path("apiVersion"), "'\(apiVersion)' is not a Square API version (YYYY-MM-DD)")
        }
        if accessToken == nil {
            // Settings for a fetch that never happens are a mistake worth naming.
            for key in ["apiBaseURL", "apiTimeout", "apiVersion"] where source.options[key] != nil {
                throw ConfigError(.invalidValue, at: options.path(key), "has no effect without accessToken: order summaries are only fetched with a token")
            }
        }
    }

    /// Checks an Orders API base URL and drops a trailing slash.
    static func baseURL(_ text: String, at path: String) throws -> String {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw ConfigError(.invalidValue, at: path, "'\(text)' is not an http(s) URL")
        }
        guard url.query == nil, url.fragment == nil, url.user == nil else {
            throw ConfigError(.invalidValue, at: path, "'\(text)' must be a plain base URL (no query, fragment or user)")
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        // The access token travels in a header: in clear only to this machine.
        guard scheme == "https" || ListenAddress.isLoopback(bare) else {
            throw ConfigError(.invalidValue, at: path, "'\(text)' would send the access token unencrypted: use https (http only to a loopback host)")
        }
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }
}

/// Square webhook notifications (`POST /pos/square` by default), verified by
/// `x-square-hmacsha256-signature`: base64 HMAC-SHA256 of notification URL + raw body, keyed with the
/// subscription's signature key.
///
/// A notification whose `data.object.order` is a `COMPLETED` Order becomes one transaction. Square's
/// own `order.created`/`order.updated` notifications carry only a summary (`order_created` /
/// `order_updated`: order id, state, location, times); with an `accessToken`, a summary of a
/// `COMPLETED` order is completed by fetching the order from the Orders API in ``resolve(_:)``,
/// without one it is counted as ignored. Orders in other states and `payment.*` events are counted
/// as ignored: a payment has no lines, and the completed order already reports it.
public struct SquareWebhookFormat: POSDocumentFormat {
    /// The settings.
    public let configuration: SquareWebhookConfig
    private let signature: WebhookSignature
    /// The Orders API client; `nil` without an access token.
    let ordersAPI: SquareOrdersAPI?

    /// `square`.
    public var driver: String { "square" }
    /// `/pos/square`.
    public var defaultPath: String { "/pos/square" }
    /// `false`: Square authenticates with its signature.
    public var usesBearerToken: Bool { false }
    /// The option keys this format reads; the listener adds its own.
    public var optionKeys: Set<String>? { SquareWebhookConfig.optionKeys }

    /// The header Square signs with, lower case.
    public static let signatureHeader = "x-square-hmacsha256-signature"

    /// Creates the format from settings.
    /// - Parameter httpClient: the client for the Orders API; the process-wide shared client by default
    ///   (created only when there is an access token; it needs no shutdown).
    public init(configuration: SquareWebhookConfig, httpClient: HTTPClient? = nil) {
        self.configuration = configuration
        signature = WebhookSignature(secret: configuration.secret, header: Self.signatureHeader)
        ordersAPI = configuration.accessToken.map { token in
            let keyPath = configuration.sourcePath.isEmpty ? "options.accessToken" : "\(configuration.sourcePath).options.accessToken"
            return SquareOrdersAPI(baseURL: configuration.apiBaseURL, accessToken: token, version: configuration.apiVersion,
                                   timeout: configuration.apiTimeout, accessTokenPath: keyPath, client: httpClient ?? .shared)
        }
    }

    /// Creates the format from a source's options.
    /// - Throws: `ConfigError` naming the option's key path.
    public init(source: SourceConfig, httpClient: HTTPClient? = nil) throws {
        self.init(configuration: try SquareWebhookConfig(source: source), httpClient: httpClient)
    }

    /// Verifies the signature, then reads the event. A summary of a completed order comes back as one
    /// ``POSDocument/pending`` transaction for ``resolve(_:)`` to fetch.
    public func parse(_ request: POSRequest) throws(POSIngestError) -> POSDocument {
        // Nothing is read from an unsigned body: the signature comes first.
        try signature.verify(request, signed: Array(configuration.notificationURL.utf8) + request.body)
        let event = try WebhookJSON.decode(SquareEvent.self, from: request.body, what: "Square event")
        let ignored = POSDocument(transactions: [], ignored: 1, deliveryID: event.eventID)
        guard event.type.hasPrefix("order."), let object = event.data?.object else { return ignored }
        if let order = object.order {
            guard order.state == "COMPLETED" else { return ignored }
            let transaction = try SquareOrderMapping(order: order, configuration: configuration).transaction()
            return POSDocument(transactions: [transaction], deliveryID: event.eventID)
        }
        let (summary, field) = object.orderCreated.map { ($0, "order_created") } ?? object.orderUpdated.map { ($0, "order_updated") } ?? (nil, "")
        guard let summary, summary.state == "COMPLETED", ordersAPI != nil else { return ignored }
        guard let orderID = summary.orderID, !orderID.isEmpty else {
            throw POSIngestError(.malformed, "malformed Square event: missing key data.object.\(field).order_id")
        }
        return POSDocument(transactions: [], deliveryID: event.eventID,
                           pending: [POSPendingTransaction(reference: orderID, expectedKey: expectedKey(of: summary, orderID: orderID))])
    }

    /// The key the fetched order's transaction will have (``SquareOrderMapping`` takes the same
    /// fields), so a completed order notified again is recognised without fetching it.
    func expectedKey(of summary: SquareEvent.OrderSummary, orderID: String) -> String? {
        guard let location = summary.locationID, !location.isEmpty, let created = summary.createdAt.flatMap(TimeText.parse) else { return nil }
        return "\(location)/\(configuration.workstation)/\(BusinessDay.of(created, in: configuration.timeZone))/\(orderID)"
    }

    /// Fetches each pending order from the Orders API and maps it like a notified order.
    ///
    /// An order that is no longer `COMPLETED` is counted as ignored; an answer that cannot be read as
    /// an Order, or an Order that cannot be mapped, rejects that transaction with the reason (a retry
    /// would fetch the same). Without an access token nothing is pending in the first place.
    /// - Throws: ``POSIngestError`` `unavailable` (503, Square retries) or `upstream` (502) from the fetch.
    public func resolve(_ document: POSDocument) async throws(POSIngestError) -> POSDocument {
        var document = document
        let pending = document.pending
        document.pending = []
        guard let ordersAPI else {
            document.ignored += pending.count
            return document
        }
        for item in pending {
            let body = try await ordersAPI.retrieveOrder(item.reference)
            let what = "Square order \(item.reference) from the Orders API"
            let order: SquareOrder
            do throws(POSIngestError) {
                order = try WebhookJSON.decode(SquareRetrievedOrder.self, from: body, what: what).order
            } catch {
                document.rejected.append(error.message)
                continue
            }
            guard order.id == item.reference else {
                throw POSIngestError(.upstream, "cannot fetch \(what): the answer is order '\(order.id)'")
            }
            guard order.state == "COMPLETED" else {
                document.ignored += 1
                continue
            }
            do throws(POSIngestError) {
                document.transactions.append(try SquareOrderMapping(order: order, configuration: configuration, what: what, base: "order").transaction())
            } catch {
                document.rejected.append(error.message)
            }
        }
        return document
    }
}

/// One completed Square Order → a ``PosTransaction``.
struct SquareOrderMapping {
    let order: SquareOrder
    let configuration: SquareWebhookConfig
    /// What the order came in, for messages: the notification, or the Orders API's answer.
    var what = "Square event"
    /// The order's key path in that document.
    var base = "data.object.order"

    /// The order's currency: its total's, else its first priced line's.
    func currency() throws(POSIngestError) -> String {
        let first = order.totalMoney?.currency ?? order.lineItems?.lazy.compactMap { $0.basePriceMoney?.currency ?? $0.totalMoney?.currency }.first
        guard let code = first else {
            throw POSIngestError(.malformed, "malformed \(what): \(base) has no total_money and no priced line to take the currency from")
        }
        guard Money.isCurrencyCode(code) else {
            throw POSIngestError(.malformed, "malformed \(what): at \(base).total_money.currency: '\(code)' is not an ISO 4217 currency code")
        }
        return code
    }

    func transaction() throws(POSIngestError) -> PosTransaction {
        let currency = try currency()
        func money(_ value: SquareMoney?, _ path: @autoclosure () -> String) throws(POSIngestError) -> Decimal? {
            guard let value else { return nil }
            guard value.currency == currency else {
                throw POSIngestError(.malformed, "malformed \(what): at \(base).\(path()).currency: '\(value.currency)' differs from the order's currency \(currency)")
            }
            return Money.decimal(minorUnits: value.amount.value, currency: currency)
        }

        var lines: [PosTransaction.Line] = []
        // What the lines say the customer owes, to check the order's own total against.
        var owed: Decimal = 0
        func addLine(_ item: SquareOrder.LineItem, kind: PosTransaction.Line.Kind, path: String) throws(POSIngestError) {
            let unitPrice = try money(item.basePriceMoney, "\(path).base_price_money") ?? 0
            let amount = try money(item.grossMoney, "\(path).\(kind == .return ? "gross_return_money" : "gross_sales_money")")
                ?? unitPrice * item.quantity.value
            let discount = try money(item.totalDiscountMoney, "\(path).total_discount_money") ?? 0
            let tax = try money(item.totalTaxMoney, "\(path).total_tax_money") ?? 0
            // A line's total_money is after discounts with additive tax; without it, assume additive tax.
            let lineTotal = try money(item.totalMoney, "\(path).total_money") ?? amount - discount + tax
            owed += kind == .return ? -lineTotal : lineTotal
            let description = [item.name, item.variationName].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            lines.append(PosTransaction.Line(
                number: lines.count + 1, kind: kind, gtin: nil, itemID: item.catalogObjectID ?? item.uid,
                description: description.isEmpty ? nil : description,
                quantity: item.quantity.value, unitPrice: unitPrice, amount: amount, discount: discount))
        }
        for (index, item) in (order.lineItems ?? []).enumerated() {
            try addLine(item, kind: .sale, path: "line_items[\(index)]")
        }
        for (r, orderReturn) in (order.returns ?? []).enumerated() {
            for (index, item) in (orderReturn.returnLineItems ?? []).enumerated() {
                try addLine(item, kind: .return, path: "returns[\(r)].return_line_items[\(index)]")
            }
        }
        owed += try money(order.totalServiceChargeMoney, "total_service_charge_money") ?? 0
        owed += try money(order.totalTipMoney, "total_tip_money") ?? 0

        var tenders: [PosTransaction.Tender] = []
        for (index, tender) in (order.tenders ?? []).enumerated() {
            tenders.append(PosTransaction.Tender(type: tender.type, amount: try money(tender.amountMoney, "tenders[\(index)].amount_money") ?? 0))
        }

        // With returns in the order, total_money is the sale side only; net_amounts is what was paid.
        let hasReturns = lines.contains { $0.kind == .return }
        let saleTotal = try money(order.totalMoney, "total_money")
        let netTotal = try money(order.netAmounts?.totalMoney, "net_amounts.total_money")
        let total = (hasReturns ? netTotal ?? saleTotal : saleTotal) ?? owed
        let saleTax = try money(order.totalTaxMoney, "total_tax_money")
        let netTax = try money(order.netAmounts?.taxMoney, "net_amounts.tax_money")
        let tax = (hasReturns ? netTax ?? saleTax : saleTax) ?? 0

        var flags: [String] = []
        let tendered = tenders.reduce(Decimal(0)) { $0 + $1.amount }
        if owed != total || (!tenders.isEmpty && tendered != total) { flags.append("totals-mismatch") }

        let created = order.createdAt.timestamp
        let ended = order.closedAt?.timestamp ?? order.updatedAt?.timestamp ?? created
        return PosTransaction(
            storeID: order.locationID, workstationID: configuration.workstation, sequenceNumber: order.id,
            businessDay: BusinessDay.of(created, in: configuration.timeZone), endedAt: ended,
            currency: currency, lines: lines, tenders: tenders, total: total, tax: tax,
            loyaltyID: order.customerID.flatMap { $0.isEmpty ? nil : $0 },
            startedAt: created <= ended ? created : nil, confidence: .exact, flags: flags)
    }
}
