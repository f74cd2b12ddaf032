import Foundation
import GatewayCore
import POSIngest
import Testing
@testable import POSWebhook

@Suite("Shopify webhooks")
struct ShopifyWebhookTests {
    @Test("a paid POS order becomes one transaction with exact figures")
    func paidOrder() throws {
        let document = try Fixture.shopify().parse(Fixture.shopifyRequest(try Fixture.bytes("shopify-orders-create-pos.json")))
        #expect(document.deliveryID == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
        #expect(document.ignored == 0 && document.rejected.isEmpty)
        let sale = try #require(document.transactions.first)
        #expect(sale.storeID == "48752903")
        #expect(sale.workstationID == "shopify")
        #expect(sale.sequenceNumber == "1001")
        #expect(sale.businessDay == "2026-11-23")
        #expect(sale.operatorID == "109283")
        #expect(sale.loyaltyID == "7120955100871")
        #expect(sale.currency == "EUR")
        #expect(sale.total == Fixture.dec("51.30"))
        #expect(sale.tax == Fixture.dec("3.80"))
        #expect(sale.flags.isEmpty)
        #expect(sale.startedAt?.rfc3339 == "2026-11-23T17:04:11.000Z")
        #expect(sale.endedAt.rfc3339 == "2026-11-23T17:04:12.000Z")
        #expect(sale.tenders == [PosTransaction.Tender(type: "shopify_payments", amount: Fixture.dec("51.30"))])
        #expect(sale.lines.count == 2)
        let shirt = sale.lines[0]
        #expect(shirt.itemID == "4006381333931")
        #expect(shirt.gtin == nil)
        #expect(shirt.description == "Organic Cotton T-Shirt, M / Black")
        #expect(shirt.quantity == 2 && shirt.unitPrice == 25 && shirt.amount == 50 && shirt.discount == 5)
        // An empty SKU falls back to the variant id.
        #expect(sale.lines[1].itemID == "44610569240808")
        #expect(sale.lines[1].unitPrice == Fixture.dec("2.50"))
    }

    @Test("bad or missing signatures are refused")
    func signatures() throws {
        let format = try Fixture.shopify()
        let body = try Fixture.bytes("shopify-orders-create-pos.json")
        var tampered = Fixture.shopifyRequest(body)
        tampered.body = Array(try Fixture.text("shopify-orders-create-pos.json").replacingOccurrences(of: "\"total_price\": \"51.30\"", with: "\"total_price\": \"0.01\"").utf8)
        #expect(tampered.body != body)
        #expect(parseError { () throws(POSIngestError) in try format.parse(tampered) }?.code == .unauthorized)
        #expect(parseError { () throws(POSIngestError) in try format.parse(Fixture.shopifyRequest(body, secret: "wrong")) }?.code == .unauthorized)
        var missing = Fixture.shopifyRequest(body)
        missing.headers[ShopifyWebhookFormat.signatureHeader] = nil
        let error = parseError { () throws(POSIngestError) in try format.parse(missing) }
        #expect(error?.code == .unauthorized)
        #expect(error?.message.contains("x-shopify-hmac-sha256") == true)
    }

    @Test("orders/create and orders/paid of one order share the key; a redelivery shares the webhook id")
    func duplicates() throws {
        let format = try Fixture.shopify()
        let body = try Fixture.bytes("shopify-orders-create-pos.json")
        let created = try format.parse(Fixture.shopifyRequest(body, topic: "orders/create", webhookID: "w-1"))
        let redelivered = try format.parse(Fixture.shopifyRequest(body, topic: "orders/create", webhookID: "w-1"))
        let paid = try format.parse(Fixture.shopifyRequest(body, topic: "orders/paid", webhookID: "w-2"))
        #expect(created.deliveryID == redelivered.deliveryID)
        #expect(paid.deliveryID == "w-2")
        #expect(created.transactions.first?.key == "48752903/shopify/2026-11-23/1001")
        #expect(paid.transactions.first?.key == created.transactions.first?.key)
    }

    @Test("unpaid, cancelled and test orders and other topics are counted as ignored")
    func ignored() throws {
        let format = try Fixture.shopify()
        let text = try Fixture.text("shopify-orders-create-pos.json")
        let variants = [
            text.replacingOccurrences(of: "\"financial_status\": \"paid\"", with: "\"financial_status\": \"pending\""),
            text.replacingOccurrences(of: "\"cancelled_at\": null", with: "\"cancelled_at\": \"2026-11-23T18:10:00+01:00\""),
            text.replacingOccurrences(of: "\"test\": false", with: "\"test\": true"),
        ]
        for variant in variants {
            #expect(variant != text)
            let document = try format.parse(Fixture.shopifyRequest(Array(variant.utf8)))
            #expect(document.transactions.isEmpty && document.ignored == 1)
        }
        let updated = try format.parse(Fixture.shopifyRequest(Array(text.utf8), topic: "orders/updated"))
        #expect(updated.transactions.isEmpty && updated.ignored == 1)

        var noTopic = Fixture.shopifyRequest(Array(text.utf8))
        noTopic.headers["x-shopify-topic"] = nil
        #expect(parseError { () throws(POSIngestError) in try format.parse(noTopic) }?.code == .malformed)
    }

    @Test("an order without a location takes the source's store, or is rejected with the reason")
    func storeFallback() throws {
        let online = Array(try Fixture.text("shopify-orders-create-pos.json").replacingOccurrences(of: "\"location_id\": 48752903", with: "\"location_id\": null").utf8)
        let rejected = try Fixture.shopify().parse(Fixture.shopifyRequest(online))
        #expect(rejected.transactions.isEmpty)
        #expect(rejected.rejected == ["order #1001 has no location_id and the source sets no store option"])
        let kept = try Fixture.shopify(["store": "store-7"]).parse(Fixture.shopifyRequest(online))
        #expect(kept.transactions.first?.storeID == "store-7")
    }

    @Test("a SKU that is a valid GTIN is the line's GTIN only when gtinFromSKU is on")
    func gtinFromSKU() throws {
        let body = try Fixture.bytes("shopify-orders-create-pos.json")
        let on = try #require(try Fixture.shopify(["gtinFromSKU": "true"]).parse(Fixture.shopifyRequest(body)).transactions.first)
        #expect(on.lines[0].gtin == "04006381333931")
        let wrongCheck = Array(try Fixture.text("shopify-orders-create-pos.json").replacingOccurrences(of: "4006381333931", with: "4006381333932").utf8)
        let bad = try #require(try Fixture.shopify(["gtinFromSKU": "true"]).parse(Fixture.shopifyRequest(wrongCheck)).transactions.first)
        #expect(bad.lines[0].gtin == nil)
        #expect(bad.lines[0].itemID == "4006381333932")
        // A barcode on the line wins over the SKU.
        let barcode = Array(try Fixture.text("shopify-orders-create-pos.json").replacingOccurrences(of: "\"vendor\": \"Northwind\"", with: "\"barcode\": \"96385074\"").utf8)
        let withBarcode = try #require(try Fixture.shopify().parse(Fixture.shopifyRequest(barcode)).transactions.first)
        #expect(withBarcode.lines[0].gtin == "00000096385074")
    }

    @Test("decimal strings add up exactly: 0.10 + 0.20 is 0.30")
    func decimalExactness() throws {
        let body = """
        {"id": 1, "order_number": 7, "created_at": "2026-11-23T10:00:00Z", "currency": "USD", "financial_status": "paid",
         "location_id": 5, "total_price": "0.30", "total_tax": "0.00", "taxes_included": false,
         "line_items": [{"title": "A", "sku": "A", "quantity": 1, "price": "0.10"}, {"title": "B", "sku": "B", "quantity": 1, "price": "0.20"}]}
        """
        let sale = try #require(try Fixture.shopify().parse(Fixture.shopifyRequest(Array(body.utf8))).transactions.first)
        #expect(sale.flags.isEmpty, "0.1 + 0.2 must equal 0.3")
        #expect(sale.lines.reduce(Decimal(0)) { $0 + $1.amount } == Fixture.dec("0.3"))
        let mismatch = body.replacingOccurrences(of: "\"total_price\": \"0.30\"", with: "\"total_price\": \"0.31\"")
        let flagged = try #require(try Fixture.shopify().parse(Fixture.shopifyRequest(Array(mismatch.utf8))).transactions.first)
        #expect(flagged.flags == ["totals-mismatch"])
    }

    @Test("malformed orders are refused with the place named")
    func malformed() throws {
        let format = try Fixture.shopify()
        let text = try Fixture.text("shopify-orders-create-pos.json")
        let badPrice = text.replacingOccurrences(of: "\"price\": \"2.50\"", with: "\"price\": \"2.5O\"")
        let error = parseError { () throws(POSIngestError) in try format.parse(Fixture.shopifyRequest(Array(badPrice.utf8))) }
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("line_items[1].price") == true, "\(error?.message ?? "")")
        let truncated = Array(text.utf8.prefix(200))
        let broken = parseError { () throws(POSIngestError) in try format.parse(Fixture.shopifyRequest(truncated)) }
        #expect(broken?.code == .malformed)
        #expect(broken?.message.contains("not valid JSON") == true, "\(broken?.message ?? "")")
    }

    @Test("card details never reach the transaction")
    func noCardData() throws {
        let document = try Fixture.shopify().parse(Fixture.shopifyRequest(try Fixture.bytes("shopify-orders-create-pos.json")))
        let encoded = String(decoding: try JSONEncoder().encode(document.transactions), as: UTF8.self)
        #expect(!document.transactions.isEmpty)
        for secret in ["4242", "424242", "Visa", "credit_card", "payment_details", "mia.keller"] {
            #expect(!encoded.contains(secret), "found \(secret) in \(encoded)")
        }
    }
}
