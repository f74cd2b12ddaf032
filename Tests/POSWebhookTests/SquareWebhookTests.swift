import Foundation
import GatewayCore
import POSIngest
import Testing
@testable import POSWebhook

@Suite("Square webhooks")
struct SquareWebhookTests {
    @Test("a completed order becomes one transaction with exact figures")
    func completedOrder() throws {
        let document = try Fixture.square().parse(Fixture.squareRequest(try Fixture.bytes("square-order-updated-completed.json")))
        #expect(document.deliveryID == "4c1e2b8d-5f0a-3e9c-a7b1-0d2f6e8a9c31")
        #expect(document.ignored == 0)
        #expect(document.rejected.isEmpty)
        let sale = try #require(document.transactions.first)
        #expect(document.transactions.count == 1)
        #expect(sale.storeID == "L8M3VQJ2R6T1N")
        #expect(sale.workstationID == "square")
        #expect(sale.sequenceNumber == "Cgd2OWDZZx2PKcKwZnxQdMoYm8OZY")
        #expect(sale.businessDay == "2026-11-23")
        #expect(sale.currency == "USD")
        #expect(sale.loyaltyID == "JDKYHBWT1D4F8MFH63DBMEN8Y4")
        #expect(sale.startedAt?.rfc3339 == "2026-11-23T23:30:12.345Z")
        #expect(sale.endedAt.rfc3339 == "2026-11-23T23:31:40.021Z")
        #expect(sale.confidence == .exact)
        #expect(sale.flags.isEmpty)
        #expect(sale.total == Fixture.dec("65.11"))
        #expect(sale.tax == Fixture.dec("5.11"))

        #expect(sale.lines.count == 2)
        let shirt = sale.lines[0]
        #expect(shirt.number == 1 && shirt.kind == .sale)
        #expect(shirt.itemID == "W62UWFY35CWMYGVWK6TWJDNI")
        #expect(shirt.gtin == nil)
        #expect(shirt.description == "Organic Cotton T-Shirt, Medium")
        #expect(shirt.quantity == 2)
        #expect(shirt.unitPrice == 25)
        #expect(shirt.amount == 50)
        #expect(shirt.discount == 5)
        let tea = sale.lines[1]
        #expect(tea.quantity == Fixture.dec("1.5"))
        #expect(tea.unitPrice == 10)
        #expect(tea.amount == 15)

        #expect(sale.tenders == [PosTransaction.Tender(type: "CARD", amount: 50), PosTransaction.Tender(type: "CASH", amount: Fixture.dec("15.11"))])
    }

    @Test("the business day is the creation date in the store's time zone")
    func businessDayInStoreTimeZone() throws {
        let body = try Fixture.bytes("square-order-updated-completed.json")
        // Created 23:30 UTC on the 23rd: already the 24th in Berlin, still the 23rd in New York.
        let berlin = try Fixture.square(timeZone: "Europe/Berlin").parse(Fixture.squareRequest(body))
        let newYork = try Fixture.square(timeZone: "America/New_York").parse(Fixture.squareRequest(body))
        #expect(berlin.transactions.first?.businessDay == "2026-11-24")
        #expect(newYork.transactions.first?.businessDay == "2026-11-23")
    }

    @Test("bad or missing signatures are refused before anything is read")
    func signatures() throws {
        let format = try Fixture.square()
        let body = try Fixture.bytes("square-order-updated-completed.json")

        var tampered = Fixture.squareRequest(body)
        let text = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\"amount\": 6511", with: "\"amount\": 1")
        tampered.body = Array(text.utf8)
        #expect(tampered.body != body)
        #expect(parseError { () throws(POSIngestError) in try format.parse(tampered) }?.code == .unauthorized)

        let wrongKey = Fixture.squareRequest(body, key: "another-key")
        #expect(parseError { () throws(POSIngestError) in try format.parse(wrongKey) }?.code == .unauthorized)

        // Signed for another notification URL (e.g. a proxy rewrote it): Square signs URL + body.
        let wrongURL = Fixture.squareRequest(body, url: "https://gateway.example.com/pos/square/")
        #expect(parseError { () throws(POSIngestError) in try format.parse(wrongURL) }?.code == .unauthorized)

        var missing = Fixture.squareRequest(body)
        missing.headers[SquareWebhookFormat.signatureHeader] = nil
        let missingError = parseError { () throws(POSIngestError) in try format.parse(missing) }
        #expect(missingError?.code == .unauthorized)
        #expect(missingError?.httpStatus == 401)
        #expect(missingError?.message.contains("missing x-square-hmacsha256-signature") == true)

        var garbage = Fixture.squareRequest(body)
        garbage.headers[SquareWebhookFormat.signatureHeader] = "not base64!"
        #expect(parseError { () throws(POSIngestError) in try format.parse(garbage) }?.code == .unauthorized)

        // A signature over broken JSON is checked first: a stranger learns nothing about the parser.
        var unsignedGarbage = POSRequest(headers: [:], body: Array("{not json".utf8))
        unsignedGarbage.headers[SquareWebhookFormat.signatureHeader] = WebhookSignature.sign(Array("x".utf8), secret: "k")
        #expect(parseError { () throws(POSIngestError) in try format.parse(unsignedGarbage) }?.code == .unauthorized)
    }

    @Test("a redelivery has the same delivery id and key; another event of the same order the same key")
    func duplicates() throws {
        let format = try Fixture.square()
        let body = try Fixture.bytes("square-order-updated-completed.json")
        let first = try format.parse(Fixture.squareRequest(body))
        let again = try format.parse(Fixture.squareRequest(body))
        #expect(first.deliveryID == again.deliveryID)
        #expect(first.transactions.map(\.key) == again.transactions.map(\.key))

        let other = String(decoding: body, as: UTF8.self)
            .replacingOccurrences(of: "4c1e2b8d-5f0a-3e9c-a7b1-0d2f6e8a9c31", with: "0b7d7c6e-1111-4a2b-9c3d-5e6f7a8b9c0d")
        let second = try format.parse(Fixture.squareRequest(Array(other.utf8)))
        #expect(second.deliveryID != first.deliveryID)
        #expect(second.transactions.first?.key == first.transactions.first?.key)
        #expect(first.transactions.first?.key == "L8M3VQJ2R6T1N/square/2026-11-23/Cgd2OWDZZx2PKcKwZnxQdMoYm8OZY")
    }

    @Test("orders that are not completed, order summaries and payments are counted as ignored", arguments: ["OPEN", "CANCELED", "DRAFT"])
    func notCompletedIgnored(state: String) throws {
        let document = try Fixture.square().parse(Fixture.squareRequest(Fixture.squareOrder(currency: "USD", unit: "100", state: state, eventID: "evt-\(state)")))
        #expect(document.transactions.isEmpty)
        #expect(document.ignored == 1)
        #expect(document.deliveryID == "evt-\(state)")
    }

    @Test("Square's own order.created summary and payment events carry no sale")
    func summaryAndPaymentIgnored() throws {
        let format = try Fixture.square()
        let summary = try format.parse(Fixture.squareRequest(try Fixture.bytes("square-order-created-summary.json")))
        #expect(summary.transactions.isEmpty && summary.ignored == 1)
        #expect(summary.deliveryID == "116038d3-2948-439f-8679-fc86cbf1a9a1")
        let payment = try format.parse(Fixture.squareRequest(try Fixture.bytes("square-payment-updated.json")))
        #expect(payment.transactions.isEmpty && payment.ignored == 1)
        #expect(payment.deliveryID == "6a8f5f28-54a1-4eb0-a98a-3111513fd4fc")
    }

    @Test("minor units use the currency's exponent")
    func currencyExponents() throws {
        let format = try Fixture.square()
        let yen = try #require(try format.parse(Fixture.squareRequest(Fixture.squareOrder(currency: "JPY", unit: "1980"))).transactions.first)
        #expect(yen.total == 1980)
        #expect(yen.lines.first?.unitPrice == 1980)
        let dinar = try #require(try format.parse(Fixture.squareRequest(Fixture.squareOrder(currency: "KWD", unit: "12345"))).transactions.first)
        #expect(dinar.total == Fixture.dec("12.345"))
        let euro = try #require(try format.parse(Fixture.squareRequest(Fixture.squareOrder(currency: "EUR", unit: "12345"))).transactions.first)
        #expect(euro.total == Fixture.dec("123.45"))
        #expect(euro.flags.isEmpty)
    }

    @Test("amounts beyond 2^53 minor units stay exact")
    func largeAmounts() throws {
        // 2^53 + 1: the first integer a Double cannot hold.
        let document = try Fixture.square().parse(Fixture.squareRequest(Fixture.squareOrder(currency: "USD", unit: "9007199254740993")))
        let sale = try #require(document.transactions.first)
        #expect(sale.total == Fixture.dec("90071992547409.93"))
        #expect("\(sale.total)" == "90071992547409.93")
        let encoded = String(decoding: try JSONEncoder().encode(sale), as: UTF8.self)
        #expect(encoded.contains("90071992547409.93"))
    }

    @Test("fractional quantities multiply exactly")
    func fractionalQuantity() throws {
        // 0.1 kg at 0.30 a unit: 0.03, which binary floating point cannot represent.
        let body = Fixture.squareOrder(currency: "USD", unit: "30", quantity: "0.1", lineTotal: "3")
        let line = try #require(try Fixture.square().parse(Fixture.squareRequest(body)).transactions.first?.lines.first)
        #expect(line.quantity == Fixture.dec("0.1"))
        #expect(line.amount == Fixture.dec("0.03"))
    }

    @Test("figures that do not add up are ingested with totals-mismatch")
    func totalsMismatch() throws {
        let body = Fixture.squareOrder(currency: "USD", unit: "1000", lineTotal: "1000", total: "1001")
        let document = try Fixture.square().parse(Fixture.squareRequest(body))
        let sale = try #require(document.transactions.first)
        #expect(sale.flags == ["totals-mismatch"])
        #expect(sale.total == Fixture.dec("10.01"))

        // Tenders that do not cover the total are flagged too.
        let text = try Fixture.text("square-order-updated-completed.json").replacingOccurrences(of: "\"amount\": 1511", with: "\"amount\": 1500")
        let short = try #require(try Fixture.square().parse(Fixture.squareRequest(Array(text.utf8))).transactions.first)
        #expect(short.flags == ["totals-mismatch"])
    }

    @Test("malformed JSON is refused with the place named")
    func malformed() throws {
        let format = try Fixture.square()
        let broken = parseError { () throws(POSIngestError) in try format.parse(Fixture.squareRequest(Array("{\"type\": \"order.updated\",\n \"event_id\": }".utf8))) }
        #expect(broken?.code == .malformed)
        #expect(broken?.httpStatus == 400)
        #expect(broken?.message.contains("line 2") == true, "\(broken?.message ?? "")")

        let numberQuantity = String(decoding: Fixture.squareOrder(currency: "USD", unit: "100"), as: UTF8.self)
            .replacingOccurrences(of: "\"quantity\":\"1\"", with: "\"quantity\":1")
        let typeError = parseError { () throws(POSIngestError) in try format.parse(Fixture.squareRequest(Array(numberQuantity.utf8))) }
        #expect(typeError?.code == .malformed)
        #expect(typeError?.message.contains("data.object.order.line_items[0].quantity") == true, "\(typeError?.message ?? "")")

        let badDecimal = parseError { () throws(POSIngestError) in try format.parse(Fixture.squareRequest(Fixture.squareOrder(currency: "USD", unit: "100", quantity: "1,5"))) }
        #expect(badDecimal?.message.contains("data.object.order.line_items[0].quantity") == true, "\(badDecimal?.message ?? "")")
        #expect(badDecimal?.message.contains("'1,5' is not a decimal number") == true)

        let fraction = parseError { () throws(POSIngestError) in try format.parse(Fixture.squareRequest(Fixture.squareOrder(currency: "USD", unit: "1.5"))) }
        #expect(fraction?.message.contains("data.object.order.line_items[0].base_price_money.amount") == true, "\(fraction?.message ?? "")")

        let noEventID = String(decoding: Fixture.squareOrder(currency: "USD", unit: "100"), as: UTF8.self)
            .replacingOccurrences(of: "\"event_id\":\"evt-1\",", with: "")
        let missing = parseError { () throws(POSIngestError) in try format.parse(Fixture.squareRequest(Array(noEventID.utf8))) }
        #expect(missing?.message.contains("missing key event_id") == true, "\(missing?.message ?? "")")

        let mixed = String(decoding: Fixture.squareOrder(currency: "USD", unit: "100"), as: UTF8.self)
            .replacingOccurrences(of: "\"total_money\":{\"amount\":100,\"currency\":\"USD\"}}]", with: "\"total_money\":{\"amount\":100,\"currency\":\"EUR\"}}]")
        let currencyError = parseError { () throws(POSIngestError) in try format.parse(Fixture.squareRequest(Array(mixed.utf8))) }
        #expect(currencyError?.message.contains("data.object.order.line_items[0].total_money.currency") == true, "\(currencyError?.message ?? "")")
    }

    @Test("card details never reach the transaction")
    func noCardData() throws {
        let document = try Fixture.square().parse(Fixture.squareRequest(try Fixture.bytes("square-order-updated-completed.json")))
        let encoded = String(decoding: try JSONEncoder().encode(document.transactions), as: UTF8.self)
        #expect(!document.transactions.isEmpty)
        for secret in ["1111", "411111", "VISA", "fingerprint", "sq-1-", "card_details", "EMV", "CAPTURED"] {
            #expect(!encoded.contains(secret), "found \(secret) in \(encoded)")
        }
    }

    @Test("an order with returns carries return lines and its net total")
    func exchange() throws {
        let body = """
        {"merchant_id":"M1","type":"order.updated","event_id":"evt-x","created_at":"2026-11-23T10:00:01Z",
         "data":{"type":"order","id":"O-X","object":{"order":{
           "id":"O-X","location_id":"L1","state":"COMPLETED","created_at":"2026-11-23T10:00:00Z",
           "line_items":[{"uid":"a","name":"Scarf","quantity":"1","base_price_money":{"amount":3000,"currency":"USD"},
             "gross_sales_money":{"amount":3000,"currency":"USD"},"total_money":{"amount":3000,"currency":"USD"}}],
           "returns":[{"uid":"r","return_line_items":[{"uid":"b","name":"Gloves","quantity":"1",
             "base_price_money":{"amount":2000,"currency":"USD"},"gross_return_money":{"amount":2000,"currency":"USD"},
             "total_money":{"amount":2000,"currency":"USD"}}]}],
           "tenders":[{"type":"CASH","amount_money":{"amount":1000,"currency":"USD"}}],
           "total_money":{"amount":3000,"currency":"USD"},
           "net_amounts":{"total_money":{"amount":1000,"currency":"USD"},"tax_money":{"amount":0,"currency":"USD"}}}}}}
        """
        let sale = try #require(try Fixture.square().parse(Fixture.squareRequest(Array(body.utf8))).transactions.first)
        #expect(sale.lines.map(\.kind) == [.sale, .return])
        #expect(sale.lines[1].amount == 20)
        #expect(sale.total == 10)
        #expect(sale.flags.isEmpty)
    }
}
