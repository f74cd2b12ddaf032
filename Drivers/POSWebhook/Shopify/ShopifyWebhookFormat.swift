import Foundation
import GatewayCore
import POSIngest

/// Settings of a `driver: shopify` source, read from its `options:`.
///
/// - `secret` (required): the app's client secret (or the key shown for webhooks made in the admin);
///   write `${SHOPIFY_WEBHOOK_SECRET}` to keep it out of the file.
/// - `workstation`: the till id transactions carry (default `shopify`).
/// - `timeZone`: the store's IANA time zone, for the business day (default `UTC`).
/// - `store`: the store id for orders without a `location_id` (online orders); without it they are rejected.
/// - `gtinFromSKU`: read a SKU that is a valid GTIN as the line's GTIN (default `false`), for shops
///   that use the barcode as SKU; Shopify's order lines carry no barcode of their own.
public struct ShopifyWebhookConfig: Sendable {
    /// The shared secret.
    public var secret: String
    /// The workstation id of every transaction from this source.
    public var workstation: String
    /// The store's time zone; an order's business day is its creation date there.
    public var timeZone: TimeZone
    /// The store id for orders without a location.
    public var store: String?
    /// Whether a SKU that is a valid GTIN is the line's GTIN.
    public var gtinFromSKU: Bool

    /// The option keys this format reads.
    public static let optionKeys: Set<String> = ["secret", "workstation", "timeZone", "store", "gtinFromSKU"]

    /// Creates settings.
    public init(secret: String, workstation: String = "shopify", timeZone: TimeZone = TimeZone(identifier: "UTC")!,
                store: String? = nil, gtinFromSKU: Bool = false) {
        self.secret = secret
        self.workstation = workstation
        self.timeZone = timeZone
        self.store = store
        self.gtinFromSKU = gtinFromSKU
    }

    /// Reads a source's `options:`.
    /// - Throws: `ConfigError` naming the key path (`sources[2].options.secret`).
    public init(source: SourceConfig) throws {
        let options = try WebhookOptions(source: source, driver: "shopify", known: Self.optionKeys)
        secret = try options.required("secret", "the shared secret verifies every webhook's X-Shopify-Hmac-SHA256")
        workstation = try options.optional("workstation") ?? "shopify"
        timeZone = try options.timeZone("timeZone")
        store = try options.optional("store")
        gtinFromSKU = try options.flag("gtinFromSKU", default: false)
    }
}

/// Shopify order webhooks (`POST /pos/shopify` by default), verified by `X-Shopify-Hmac-SHA256`:
/// base64 HMAC-SHA256 of the raw body, keyed with the shared secret.
///
/// `orders/create` and `orders/paid` deliveries of a paid, live (not test, not cancelled) order become
/// one transaction; both topics give the same key, so an order reported twice is published once.
/// Other topics and unpaid orders are counted as ignored.
public struct ShopifyWebhookFormat: POSDocumentFormat {
    /// The settings.
    public let configuration: ShopifyWebhookConfig
    private let signature: WebhookSignature

    /// `shopify`.
    public var driver: String { "shopify" }
    /// `/pos/shopify`.
    public var defaultPath: String { "/pos/shopify" }
    /// `false`: Shopify authenticates with its signature.
    public var usesBearerToken: Bool { false }
    /// The option keys this format reads; the listener adds its own.
    public var optionKeys: Set<String>? { ShopifyWebhookConfig.optionKeys }

    /// The header Shopify signs with, lower case.
    public static let signatureHeader = "x-shopify-hmac-sha256"
    /// The topics that carry a sale.
    public static let saleTopics: Set<String> = ["orders/create", "orders/paid"]
    /// Financial states of an order whose money was taken (a later refund does not undo the sale).
    public static let paidStates: Set<String> = ["paid", "partially_refunded", "refunded"]

    /// Creates the format from settings.
    public init(configuration: ShopifyWebhookConfig) {
        self.configuration = configuration
        signature = WebhookSignature(secret: configuration.secret, header: Self.signatureHeader)
    }

    /// Creates the format from a source's options.
    /// - Throws: `ConfigError` naming the option's key path.
    public init(source: SourceConfig) throws {
        self.init(configuration: try ShopifyWebhookConfig(source: source))
    }

    /// Verifies the signature, then reads the order.
    public func parse(_ request: POSRequest) throws(POSIngestError) -> POSDocument {
        try signature.verify(request, signed: request.body)
        let deliveryID = request.headers["x-shopify-webhook-id"].flatMap { $0.isEmpty ? nil : $0 }
        guard let topic = request.headers["x-shopify-topic"], !topic.isEmpty else {
            throw POSIngestError(.malformed, "missing X-Shopify-Topic header: cannot tell what the body is")
        }
        guard Self.saleTopics.contains(topic) else {
            return POSDocument(transactions: [], ignored: 1, deliveryID: deliveryID)
        }
        let order = try WebhookJSON.decode(ShopifyOrder.self, from: request.body, what: "Shopify order")
        guard order.test != true, order.cancelledAt == nil, Self.paidStates.contains(order.financialStatus ?? "") else {
            return POSDocument(transactions: [], ignored: 1, deliveryID: deliveryID)
        }
        guard let store = order.locationID?.text ?? configuration.store else {
            let name = order.name ?? order.id.text
            return POSDocument(transactions: [], rejected: ["order \(name) has no location_id and the source sets no store option"], deliveryID: deliveryID)
        }
        return POSDocument(transactions: [try transaction(order, store: store)], deliveryID: deliveryID)
    }

    func transaction(_ order: ShopifyOrder, store: String) throws(POSIngestError) -> PosTransaction {
        guard Money.isCurrencyCode(order.currency) else {
            throw POSIngestError(.malformed, "malformed Shopify order: at currency: '\(order.currency)' is not an ISO 4217 currency code")
        }
        var lines: [PosTransaction.Line] = []
        var owed: Decimal = 0
        for item in order.lineItems {
            let quantity = Decimal(item.quantity.value)
            let amount = item.price.value * quantity
            // discount_allocations replaced total_discount; they include order-level discounts spread over lines.
            let discount = item.discountAllocations.map { $0.reduce(Decimal(0)) { $0 + $1.amount.value } } ?? item.totalDiscount?.value ?? 0
            owed += amount - discount
            let barcode = item.barcode.flatMap(GTIN.normalised)
            let gtin = barcode ?? (configuration.gtinFromSKU ? item.sku.flatMap(GTIN.normalised) : nil)
            let sku = item.sku.flatMap { $0.isEmpty ? nil : $0 }
            let description = [item.title, item.variantTitle].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            lines.append(PosTransaction.Line(
                number: lines.count + 1, kind: .sale, gtin: gtin,
                itemID: sku ?? item.variantID?.text ?? item.productID?.text ?? item.id?.text,
                description: description.isEmpty ? nil : description,
                quantity: quantity, unitPrice: item.price.value, amount: amount, discount: discount))
        }
        let tax = order.totalTax?.value ?? 0
        if order.taxesIncluded != true { owed += tax }
        for line in order.shippingLines ?? [] { owed += (line.discountedPrice ?? line.price).value }
        let total = order.totalPrice.value

        // The order body names the payment gateways but not how much each took: one tender for the
        // total, named after the gateway (or the gateways joined with `+` when several were used).
        let gateways = (order.paymentGatewayNames ?? []).filter { !$0.isEmpty }
        let tenders = gateways.isEmpty ? [] : [PosTransaction.Tender(type: gateways.joined(separator: "+"), amount: total)]

        let created = order.createdAt.timestamp
        let ended = order.processedAt?.timestamp ?? created
        return PosTransaction(
            storeID: store, workstationID: configuration.workstation,
            sequenceNumber: order.orderNumber?.text ?? order.id.text,
            businessDay: BusinessDay.of(created, in: configuration.timeZone), endedAt: ended,
            operatorID: order.userID?.text, currency: order.currency, lines: lines, tenders: tenders,
            total: total, tax: tax, loyaltyID: order.customer?.id?.text,
            startedAt: created <= ended ? created : nil, confidence: .exact,
            flags: owed == total ? [] : ["totals-mismatch"])
    }
}
