import Foundation
import GatewayCore
import Logging
import POSIngest
import Testing
@testable import POSWebhook

/// Square's own order notifications carry only a summary; with an access token the order is fetched
/// from the Orders API (a fake on 127.0.0.1 here) and mapped like a notified order.
@Suite("Square order summaries completed from the Orders API")
struct SquareFetchTests {
    static let token = "EAAA-test-access-token"
    static let quiet = Logger(label: "SquareFetchTests", factory: { _ in SwiftLogNoOpLogHandler() })

    static func format(_ baseURL: String, token: String = token, timeout: String? = nil, timeZone: String = "Asia/Tokyo") throws -> SquareWebhookFormat {
        var options = ["secret": Fixture.squareKey, "notificationURL": Fixture.squareURL, "accessToken": token,
                       "apiBaseURL": baseURL, "timeZone": timeZone]
        options["apiTimeout"] = timeout
        return try SquareWebhookFormat(source: SourceConfig(name: "square", driver: "square", kind: .transactions, options: options, path: "sources[0]"))
    }

    /// Square's `order.created` / `order.updated` notification: `data.object.order_created|order_updated`.
    static func summary(_ type: String = "order.updated", eventID: String, orderID: String, state: String = "COMPLETED", version: Int = 4,
                        location: String = "L-TOKYO", created: String = "2026-11-23T23:30:12.345Z") -> [UInt8] {
        let field = type == "order.created" ? "order_created" : "order_updated"
        return Array("""
        {"merchant_id":"MLJD4JJXS3YSP","type":"\(type)","event_id":"\(eventID)","created_at":"2026-11-23T23:31:00Z",
         "data":{"type":"\(field)","id":"\(orderID)","object":{"\(field)":{
           "created_at":"\(created)","location_id":"\(location)","order_id":"\(orderID)","state":"\(state)",
           "updated_at":"2026-11-23T23:30:59.001Z","version":\(version)}}}}
        """.utf8)
    }

    /// An Order as `RetrieveOrder` answers it: one line, a cash tender.
    static func order(_ id: String, currency: String = "JPY", unit: String = "9007199254740993", quantity: String = "1",
                      state: String = "COMPLETED", location: String = "L-TOKYO", lineCurrency: String? = nil) -> String {
        let line = lineCurrency ?? currency
        return """
        {"id":"\(id)","location_id":"\(location)","state":"\(state)","version":4,"customer_id":"CUST-77",
         "created_at":"2026-11-23T23:30:12.345Z","updated_at":"2026-11-23T23:30:59.001Z","closed_at":"2026-11-23T23:30:58.500Z",
         "line_items":[{"uid":"li-1","name":"Kimono","variation_name":"Silk","quantity":"\(quantity)","catalog_object_id":"VAR-9",
           "base_price_money":{"amount":\(unit),"currency":"\(line)"},"gross_sales_money":{"amount":\(unit),"currency":"\(line)"},
           "total_money":{"amount":\(unit),"currency":"\(line)"}}],
         "tenders":[{"id":"t1","type":"CASH","amount_money":{"amount":\(unit),"currency":"\(currency)"}}],
         "total_money":{"amount":\(unit),"currency":"\(currency)"},"total_tax_money":{"amount":0,"currency":"\(currency)"}}
        """
    }

    static func error(_ body: () async throws(POSIngestError) -> POSDocument) async -> POSIngestError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test("a completed order's summary is fetched with the token and Square-Version, and mapped exactly (JPY beyond 2^53)")
    func fetched() async throws {
        try await FakeOrdersAPI.run(token: Self.token) { api, base in
            api.set("ORD-1", .order(Self.order("ORD-1")))
            let format = try Self.format(base)
            let parsed = try format.parse(Fixture.squareRequest(Self.summary(eventID: "evt-a", orderID: "ORD-1")))
            #expect(parsed.transactions.isEmpty)
            #expect(parsed.deliveryID == "evt-a")
            // Known before the fetch: the business day is the creation date in Tokyo, a day after UTC's.
            #expect(parsed.pending == [POSPendingTransaction(reference: "ORD-1", expectedKey: "L-TOKYO/square/2026-11-24/ORD-1")])
            #expect(api.seen.isEmpty, "parsing fetches nothing")

            let document = try await format.resolve(parsed)
            #expect(document.pending.isEmpty && document.rejected.isEmpty && document.ignored == 0)
            let sale = try #require(document.transactions.first)
            #expect(document.transactions.count == 1)
            #expect(sale.key == parsed.pending[0].expectedKey)
            #expect(sale.currency == "JPY")
            #expect(sale.total == Fixture.dec("9007199254740993"))
            #expect("\(sale.total)" == "9007199254740993")
            #expect(sale.lines.first?.unitPrice == Fixture.dec("9007199254740993"))
            #expect(sale.lines.first?.itemID == "VAR-9")
            #expect(sale.lines.first?.description == "Kimono, Silk")
            #expect(sale.tenders == [PosTransaction.Tender(type: "CASH", amount: Fixture.dec("9007199254740993"))])
            #expect(sale.loyaltyID == "CUST-77")
            #expect(sale.flags.isEmpty)
            #expect(api.seen == [FakeOrdersAPI.Seen(path: "/v2/orders/ORD-1", authorization: "Bearer \(Self.token)",
                                                    version: SquareWebhookConfig.defaultAPIVersion)])
        }
    }

    @Test("through the ingestor: a duplicate delivery and further order.updated of a published order fetch and publish nothing")
    func deduplicatedWithoutFetching() async throws {
        try await FakeOrdersAPI.run(token: Self.token) { api, base in
            api.set("ORD-2", .order(Self.order("ORD-2", currency: "USD", unit: "1999")))
            let (source, ingestor, ledger, folder) = try Self.pipeline(Self.format(base))
            defer { try? FileManager.default.removeItem(at: folder) }

            let opened = try await ingestor.ingest(Fixture.squareRequest(Self.summary("order.created", eventID: "e1", orderID: "ORD-2", state: "OPEN", version: 1)),
                                                   for: source, origin: "test")
            #expect(opened == POSIngestOutcome(ignored: 1))
            #expect(api.seen.isEmpty, "an open order is not fetched")

            let completed = Fixture.squareRequest(Self.summary(eventID: "e2", orderID: "ORD-2", version: 3))
            #expect(try await ingestor.ingest(completed, for: source, origin: "test") == POSIngestOutcome(accepted: 1))
            let published = drain(source.sink)
            #expect(published.map(\.total) == [Fixture.dec("19.99")])
            #expect(ledger.contains("square|delivery|e2") && ledger.contains("square|\(published[0].key)"))

            #expect(try await ingestor.ingest(completed, for: source, origin: "test") == POSIngestOutcome(duplicated: 1))
            let later = Fixture.squareRequest(Self.summary(eventID: "e3", orderID: "ORD-2", version: 5))
            #expect(try await ingestor.ingest(later, for: source, origin: "test") == POSIngestOutcome(duplicated: 1))
            #expect(drain(source.sink).isEmpty)
            #expect(api.seen.count == 1, "\(api.seen)")
        }
    }

    @Test("an outage of the Orders API refuses the delivery with 503 and records nothing; the retry ingests it once")
    func outageThenRetry() async throws {
        try await FakeOrdersAPI.run(token: Self.token) { api, base in
            api.set("ORD-3", .order(Self.order("ORD-3")))
            let (source, ingestor, ledger, folder) = try Self.pipeline(Self.format(base))
            defer { try? FileManager.default.removeItem(at: folder) }
            let request = Fixture.squareRequest(Self.summary(eventID: "e-out", orderID: "ORD-3"))

            for reply in [FakeOrdersAPI.squareError(503, category: "API_ERROR", code: "SERVICE_UNAVAILABLE", detail: "try later"),
                          FakeOrdersAPI.squareError(429, category: "RATE_LIMIT_ERROR", code: "RATE_LIMITED", detail: "slow down"),
                          FakeOrdersAPI.squareError(500, category: "API_ERROR", code: "INTERNAL_SERVER_ERROR", detail: "oops")] {
                api.outage(reply)
                var refusal: POSIngestError?
                do throws(POSIngestError) { _ = try await ingestor.ingest(request, for: source, origin: "test") } catch { refusal = error }
                #expect(refusal?.code == .unavailable)
                #expect(refusal?.httpStatus == 503)
                #expect(refusal?.message.contains("ORD-3") == true, "\(refusal?.message ?? "")")
            }
            #expect(drain(source.sink).isEmpty)
            #expect(!ledger.contains("square|delivery|e-out"))
            #expect(!ledger.contains("square|L-TOKYO/square/2026-11-24/ORD-3"))

            api.outage(nil)
            #expect(try await ingestor.ingest(request, for: source, origin: "test") == POSIngestOutcome(accepted: 1))
            #expect(try await ingestor.ingest(request, for: source, origin: "test") == POSIngestOutcome(duplicated: 1))
            #expect(drain(source.sink).map(\.key) == ["L-TOKYO/square/2026-11-24/ORD-3"])
            #expect(source.counters.snapshot.refusedDocuments == 3)
        }
    }

    @Test("the error answer is named: 503, 429 and 500 are worth a retry, with Square's code and detail")
    func retryableMessages() async throws {
        try await FakeOrdersAPI.run(token: Self.token) { api, base in
            let format = try Self.format(base)
            let parsed = try format.parse(Fixture.squareRequest(Self.summary(eventID: "e", orderID: "ORD-R")))
            api.outage(FakeOrdersAPI.squareError(429, category: "RATE_LIMIT_ERROR", code: "RATE_LIMITED", detail: "slow down"))
            let limited = await Self.error { () async throws(POSIngestError) in try await format.resolve(parsed) }
            #expect(limited?.code == .unavailable)
            #expect(limited?.message.contains("HTTP 429 RATE_LIMITED (RATE_LIMIT_ERROR): slow down") == true, "\(limited?.message ?? "")")
            #expect(limited?.message.contains("Square order ORD-R from \(base)") == true)
        }
    }

    @Test("a stalled answer times out after apiTimeout, and a closed port fails at once: both 503")
    func timeoutAndRefusedConnection() async throws {
        try await FakeOrdersAPI.run(token: Self.token) { api, base in
            api.set("ORD-4", .stall(.milliseconds(1_500)))
            let format = try Self.format(base, timeout: "300ms")
            let parsed = try format.parse(Fixture.squareRequest(Self.summary(eventID: "e", orderID: "ORD-4")))
            let started = ContinuousClock.now
            let timedOut = await Self.error { () async throws(POSIngestError) in try await format.resolve(parsed) }
            let waited = ContinuousClock.now - started
            #expect(timedOut?.code == .unavailable)
            #expect(timedOut?.message.contains("apiTimeout") == true, "\(timedOut?.message ?? "")")
            #expect(waited >= .milliseconds(280) && waited < .seconds(2), "\(waited)")
        }
        // A port with nothing listening: bind one, note it, close it.
        let closed = try Self.closedPort()
        let format = try Self.format("http://127.0.0.1:\(closed)")
        let parsed = try format.parse(Fixture.squareRequest(Self.summary(eventID: "e", orderID: "ORD-5")))
        let refused = await Self.error { () async throws(POSIngestError) in try await format.resolve(parsed) }
        #expect(refused?.code == .unavailable)
        #expect(refused?.message.contains("ORD-5") == true, "\(refused?.message ?? "")")
    }

    @Test("401 (a wrong token) and 404 (an unknown order) are 502 errors naming the order, the cause and the token's key path")
    func refusals() async throws {
        try await FakeOrdersAPI.run(token: Self.token) { api, base in
            let wrongToken = try Self.format(base, token: "EAAA-revoked")
            let parsed = try wrongToken.parse(Fixture.squareRequest(Self.summary(eventID: "e", orderID: "ORD-6")))
            let unauthorized = await Self.error { () async throws(POSIngestError) in try await wrongToken.resolve(parsed) }
            #expect(unauthorized?.code == .upstream)
            #expect(unauthorized?.httpStatus == 502)
            let message = unauthorized?.message ?? ""
            for part in ["ORD-6", "refused the access token", "sources[0].options.accessToken", "HTTP 401 UNAUTHORIZED", "could not be authorized"] {
                #expect(message.contains(part), "\(part) in \(message)")
            }
            #expect(!message.contains("EAAA-revoked"), "the token itself is never in a message")

            let format = try Self.format(base)
            let unknown = await Self.error { () async throws(POSIngestError) in try await format.resolve(parsed) }
            #expect(unknown?.code == .upstream)
            #expect(unknown?.message.contains("ORD-6") == true)
            #expect(unknown?.message.contains("HTTP 404 NOT_FOUND") == true, "\(unknown?.message ?? "")")
            #expect(unknown?.message.contains("no such order") == true)

            api.set("ORD-6", .answer(200, contentType: "text/html", body: "<html>captive portal</html>"))
            let html = await Self.error { () async throws(POSIngestError) in try await format.resolve(parsed) }
            #expect(html?.code == .upstream)
            #expect(html?.message.contains("not JSON") == true, "\(html?.message ?? "")")

            api.set("ORD-6", .order(Self.order("ORD-OTHER")))
            let other = await Self.error { () async throws(POSIngestError) in try await format.resolve(parsed) }
            #expect(other?.code == .upstream)
            #expect(other?.message.contains("ORD-OTHER") == true)
        }
    }

    @Test("a fetched order that is not completed is ignored; one that cannot be read or mapped is rejected with the order named")
    func fetchedButNotASale() async throws {
        try await FakeOrdersAPI.run(token: Self.token) { api, base in
            let format = try Self.format(base)
            func resolve(_ id: String) async throws -> POSDocument {
                try await format.resolve(try format.parse(Fixture.squareRequest(Self.summary(eventID: "e-\(id)", orderID: id))))
            }
            api.set("O-CANCELED", .order(Self.order("O-CANCELED", state: "CANCELED")))
            let canceled = try await resolve("O-CANCELED")
            #expect(canceled.transactions.isEmpty && canceled.ignored == 1 && canceled.rejected.isEmpty)

            api.set("O-MIXED", .order(Self.order("O-MIXED", currency: "JPY", unit: "500", lineCurrency: "USD")))
            let mixed = try await resolve("O-MIXED")
            #expect(mixed.transactions.isEmpty && mixed.rejected.count == 1)
            #expect(mixed.rejected.first?.contains("Square order O-MIXED from the Orders API") == true, "\(mixed.rejected)")
            #expect(mixed.rejected.first?.contains("order.line_items[0].base_price_money.currency") == true, "\(mixed.rejected)")

            api.set("O-BAD", .order(Self.order("O-BAD", quantity: "1,5")))
            let bad = try await resolve("O-BAD")
            #expect(bad.rejected.first?.contains("order.line_items[0].quantity") == true, "\(bad.rejected)")
        }
    }

    @Test("without an access token a completed summary stays ignored and nothing is fetched")
    func withoutToken() throws {
        let document = try Fixture.square().parse(Fixture.squareRequest(Self.summary(eventID: "e", orderID: "ORD-7")))
        #expect(document.transactions.isEmpty && document.pending.isEmpty && document.ignored == 1)
        #expect(try Fixture.square().ordersAPI == nil)
    }

    @Test("a summary without an order id is malformed; one without a location is fetched without an expected key")
    func oddSummaries() throws {
        let format = try Self.format("http://127.0.0.1:1")
        let noID = String(decoding: Self.summary(eventID: "e", orderID: "X"), as: UTF8.self).replacingOccurrences(of: #""order_id":"X","#, with: "")
        let error = parseError { () throws(POSIngestError) in try format.parse(Fixture.squareRequest(Array(noID.utf8))) }
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("data.object.order_updated.order_id") == true, "\(error?.message ?? "")")
        let noLocation = try format.parse(Fixture.squareRequest(Self.summary(eventID: "e", orderID: "Y", location: "")))
        #expect(noLocation.pending == [POSPendingTransaction(reference: "Y", expectedKey: nil)])
        let created = try format.parse(Fixture.squareRequest(Self.summary("order.created", eventID: "e", orderID: "Z", created: "yesterday")))
        #expect(created.pending == [POSPendingTransaction(reference: "Z", expectedKey: nil)])
    }

    @Test("Orders API options: defaults, the token from the environment, and errors naming the key path")
    func options() throws {
        func source(_ options: [String: String]) -> SourceConfig {
            SourceConfig(name: "sq", driver: "square", kind: .transactions,
                         options: ["secret": "k", "notificationURL": "https://x.example/pos/square"].merging(options) { $1 }, path: "sources[3]")
        }
        func failure(_ options: [String: String]) -> ConfigError? {
            do {
                _ = try SquareWebhookConfig(source: source(options))
                return nil
            } catch let error as ConfigError {
                return error
            } catch {
                return nil
            }
        }
        let defaults = try SquareWebhookConfig(source: source(["accessToken": "t"]))
        #expect(defaults.apiBaseURL == "https://connect.squareup.com")
        #expect(defaults.apiTimeout == .seconds(5))
        #expect(defaults.apiVersion == SquareWebhookConfig.defaultAPIVersion)
        let custom = try SquareWebhookConfig(source: source(["accessToken": "t", "apiBaseURL": "https://connect.squareupsandbox.com/",
                                                             "apiTimeout": "2500ms", "apiVersion": "2024-01-18"]))
        #expect(custom.apiBaseURL == "https://connect.squareupsandbox.com")
        #expect(custom.apiTimeout == .milliseconds(2_500))
        #expect(custom.apiVersion == "2024-01-18")

        #expect(failure(["accessToken": "t", "apiBaseURL": "http://connect.squareup.com"])?.keyPath == "sources[3].options.apiBaseURL")
        #expect(failure(["accessToken": "t", "apiBaseURL": "http://connect.squareup.com"])?.message.contains("unencrypted") == true)
        #expect(failure(["accessToken": "t", "apiBaseURL": "ftp://x"])?.keyPath == "sources[3].options.apiBaseURL")
        #expect(failure(["accessToken": "t", "apiBaseURL": "https://x.example/?a=1"])?.keyPath == "sources[3].options.apiBaseURL")
        #expect(failure(["accessToken": "t", "apiTimeout": "fast"])?.keyPath == "sources[3].options.apiTimeout")
        #expect(failure(["accessToken": "t", "apiTimeout": "90s"])?.keyPath == "sources[3].options.apiTimeout")
        #expect(failure(["accessToken": "t", "apiVersion": "latest"])?.keyPath == "sources[3].options.apiVersion")
        #expect(failure(["accessToken": ""])?.keyPath == "sources[3].options.accessToken")
        #expect(failure(["apiBaseURL": "https://x.example"])?.keyPath == "sources[3].options.apiBaseURL")
        #expect(failure(["apiBaseURL": "https://x.example"])?.message.contains("without accessToken") == true)
        #expect(failure(["accesToken": "t"])?.code == .unknownKey)

        let name = "SQUARE_ACCESS_TOKEN_TEST_\(UInt32.random(in: 0...UInt32.max))"
        setenv(name, "EAAA-from-env", 1)
        defer { unsetenv(name) }
        let yaml = """
        sources:
          - name: square
            driver: square
            kind: transactions
            options:
              secret: k
              notificationURL: https://gateway.example.com/pos/square
              accessToken: ${\(name)}
              apiBaseURL: http://127.0.0.1:9
        """
        let root = try ConfigMap.parse(yaml: yaml, source: "test.yaml")
        let sources = try #require(try root.mappings("sources") { try SourceConfig(config: $0) })
        let format = try SquareWebhookFormat(source: sources[0])
        #expect(format.configuration.accessToken == "EAAA-from-env")
        #expect(format.ordersAPI?.accessTokenPath == "sources[0].options.accessToken")
        #expect(format.ordersAPI?.url(of: "A/../b c") == "http://127.0.0.1:9/v2/orders/A%2F..%2Fb%20c")
    }

    /// A source, ingestor and ledger in a fresh folder, as the listener uses them.
    static func pipeline(_ format: SquareWebhookFormat) throws -> (POSSource, POSIngestor, POSLedger, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("square-fetch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let doorbell = Doorbell()
        let sink = TransactionSink(source: SourceDescriptor(index: 0, name: "square", driver: "square"),
                                   ring: SPSCRing<PosTransaction>(capacity: 64, lossless: .block, doorbell: doorbell),
                                   inbox: ControlInbox(doorbell: doorbell))
        let ledger = try POSLedger(path: folder.appendingPathComponent("pos-ledger").path, retention: .seconds(86_400), logger: quiet)
        return (POSSource(format: format, options: POSSourceOptions(path: "/pos/square"), sink: sink), POSIngestor(ledger: ledger, logger: quiet), ledger, folder)
    }

    /// A loopback port that was free a moment ago and has nothing listening now.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw POSIngestError(.listen, "cannot bind a probe socket") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Everything in the ring now.
func drain(_ sink: TransactionSink) -> [PosTransaction] {
    var items: [PosTransaction] = []
    while sink.ring.drain({ items.append($0) }) > 0 {}
    return items
}
