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
public struct SquareWebhookConfig: Sendable {
    /// The signature key.
    public var secret: String
    /// The notification URL Square signs.
    public var notificationURL: String
    /// The workstation id of every transaction from this source.
    public var workstation: String
    /// The store's time zone; an order's business day is its creation date there.
    public var timeZone: TimeZone

    /// The option keys this format reads.
    public static let optionKeys: Set<String> = ["secret", "notificationURL", "workstation", "timeZone"]

    /// Creates settings.
    public init(secret: String, notificationURL: String, workstation: String = "square", timeZone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.secret = secret
        self.notificationURL = notificationURL
        self.workstation = workstation
        self.timeZone = timeZone
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
    }
}

/// Square webhook notifications (`POST /pos/square` by default), verified by
/// `x-square-hmacsha256-signature`: base64 HMAC-SHA256 of notification URL + raw body, keyed with the
/// subscription's signature key.
///
/// A notification whose `data.object.order` is a `COMPLETED` Order becomes one transaction. Everything
/// else is counted as ignored: orders in other states, Square's own `order.created`/`order.updated`
/// summaries that carry only the order id (fetching the order from the Orders API is not done here),
/// and `payment.*` events, since a payment has no lines and the completed order already reports it.
public struct SquareWebhookFormat: POSDocumentFormat {
    /// The settings.
    public let configuration: SquareWebhookConfig
    private let signature: WebhookSignature

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
    public init(configuration: SquareWebhookConfig) {
        self.configuration = configuration
        signature = WebhookSignature(secret: configuration.secret, header: Self.signatureHeader)
    }

    /// Creates the format from a source's options.
    /// - Throws: `ConfigError` naming the option's key path.
    public init(source: SourceConfig) throws {
        self.init(configuration: try SquareWebhookConfig(source: source))
    }

    /// Verifies the signature, then reads the event.
    public func parse(_ request: POSRequest) throws(POSIngestError) -> POSDocument {
        // Nothing is read from an unsigned body: the signature comes first.
        try signature.verify(request, signed: Array(configuration.notificationURL.utf8) + request.body)
        let event = try WebhookJSON.decode(SquareEvent.self, from: request.body, what: "Square event")
        guard event.type.hasPrefix("order."), let order = event.data?.object?.order else {
            return POSDocument(transactions: [], ignored: 1, deliveryID: event.eventID)
        }
        guard order.state == "COMPLETED" else {
            return POSDocument(transactions: [], ignored: 1, deliveryID: event.eventID)
        }
        let transaction = try SquareOrderMapping(order: order, configuration: configuration).transaction()
        return POSDocument(transactions: [transaction], deliveryID: event.eventID)
    }
}

/// One completed Square Order → a ``PosTransaction``.
struct SquareOrderMapping {
    let order: SquareOrder
    let configuration: SquareWebhookConfig
    let base = "data.object.order"

    /// The order's currency: its total's, else its first priced line's.
    func currency() throws(POSIngestError) -> String {
        let first = order.totalMoney?.currency ?? order.lineItems?.lazy.compactMap { $0.basePriceMoney?.currency ?? $0.totalMoney?.currency }.first
        guard let code = first else {
            throw POSIngestError(.malformed, "malformed Square event: \(base) has no total_money and no priced line to take the currency from")
        }
        guard Money.isCurrencyCode(code) else {
            throw POSIngestError(.malformed, "malformed Square event: at \(base).total_money.currency: '\(code)' is not an ISO 4217 currency code")
        }
        return code
    }

    func transaction() throws(POSIngestError) -> PosTransaction {
        let currency = try currency()
        func money(_ value: SquareMoney?, _ path: @autoclosure () -> String) throws(POSIngestError) -> Decimal? {
            guard let value else { return nil }
            guard value.currency == currency else {
                throw POSIngestError(.malformed, "malformed Square event: at \(base).\(path()).currency: '\(value.currency)' differs from the order's currency \(currency)")
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
