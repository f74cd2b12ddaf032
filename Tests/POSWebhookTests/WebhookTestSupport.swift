import Foundation
import GatewayCore
import POSIngest
@testable import POSWebhook

/// The secrets and URL the tests sign with, as a store's config would give them.
enum Fixture {
    static let squareKey = "sq-test-signature-key-9Jx2"
    static let squareURL = "https://gateway.example.com/pos/square"
    static let shopifySecret = "shpss_test_0f3c2a7b9d"

    /// A fixture's raw bytes (the bundle copy of `Fixtures/NAME`).
    static func bytes(_ name: String) throws -> [UInt8] {
        let url = Bundle.module.bundleURL.appendingPathComponent("Fixtures").appendingPathComponent(name)
        return Array(try Data(contentsOf: url))
    }

    /// A fixture as text, for tests that alter one field.
    static func text(_ name: String) throws -> String { String(decoding: try bytes(name), as: UTF8.self) }

    static func square(timeZone: String? = nil) throws -> SquareWebhookFormat {
        var options = ["secret": squareKey, "notificationURL": squareURL]
        options["timeZone"] = timeZone
        return try SquareWebhookFormat(source: SourceConfig(name: "square", driver: "square", kind: .transactions, options: options, path: "sources[0]"))
    }

    static func shopify(_ extra: [String: String] = [:]) throws -> ShopifyWebhookFormat {
        let options = ["secret": shopifySecret].merging(extra) { $1 }
        return try ShopifyWebhookFormat(source: SourceConfig(name: "shopify", driver: "shopify", kind: .transactions, options: options, path: "sources[1]"))
    }

    /// A request signed the way Square signs: notification URL + body.
    static func squareRequest(_ body: [UInt8], key: String = squareKey, url: String = squareURL) -> POSRequest {
        POSRequest(headers: ["content-type": "application/json",
                             SquareWebhookFormat.signatureHeader: WebhookSignature.sign(Array(url.utf8) + body, secret: key)],
                   body: body)
    }

    /// A request signed the way Shopify signs: the body alone.
    static func shopifyRequest(_ body: [UInt8], topic: String = "orders/create", webhookID: String = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
                               secret: String = shopifySecret) -> POSRequest {
        POSRequest(headers: ["content-type": "application/json", "x-shopify-topic": topic, "x-shopify-webhook-id": webhookID,
                             "x-shopify-shop-domain": "northwind.myshopify.com",
                             ShopifyWebhookFormat.signatureHeader: WebhookSignature.sign(body, secret: secret)],
                   body: body)
    }

    /// A minimal completed Square order event with one line, for money edge cases.
    static func squareOrder(currency: String, unit: String, quantity: String = "1", lineTotal: String? = nil, total: String? = nil,
                            state: String = "COMPLETED", eventID: String = "evt-1", orderID: String = "ORDER-1") -> [UInt8] {
        let lineTotal = lineTotal ?? unit
        let total = total ?? lineTotal
        return Array("""
        {"merchant_id":"M1","type":"order.updated","event_id":"\(eventID)","created_at":"2026-11-23T10:00:01Z",
         "data":{"type":"order","id":"\(orderID)","object":{"order":{
           "id":"\(orderID)","location_id":"L1","state":"\(state)","created_at":"2026-11-23T10:00:00Z",
           "line_items":[{"uid":"u1","name":"Item","quantity":"\(quantity)",
             "base_price_money":{"amount":\(unit),"currency":"\(currency)"},
             "total_money":{"amount":\(lineTotal),"currency":"\(currency)"}}],
           "total_money":{"amount":\(total),"currency":"\(currency)"},
           "total_tax_money":{"amount":0,"currency":"\(currency)"}}}}}
        """.utf8)
    }

    /// Decimal from text, for expectations (exact, unlike a `Double` literal).
    static func dec(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }
}

/// The error a throwing parse raised, or `nil` when it succeeded.
func parseError(_ body: () throws(POSIngestError) -> POSDocument) -> POSIngestError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
