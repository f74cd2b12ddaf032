import Foundation
import GatewayCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import POSIngest
import Synchronization
import Testing
@testable import POSLog

/// The POS listener over real sockets (HummingbirdTesting `.live` binds 127.0.0.1 on a free port).
@Suite struct ListenerTests {
    struct Answer: Decodable, Equatable {
        var accepted: Int
        var duplicated: Int
        var rejected: Int
        var ignored: Int
        var errors: [String]
    }

    struct Refusal: Decodable {
        var error: String
        var code: String
    }

    final class Harness: Sendable {
        let folder: URL
        let sink: TransactionSink
        let source: POSSource
        let ingestor: POSIngestor

        init(token: String? = nil, folder: URL? = nil, commitTimeout: Duration? = nil) throws {
            self.folder = try folder ?? temporaryFolder()
            sink = makeSink()
            source = POSSource(format: POSLogFormat(parser: utcParser), options: POSSourceOptions(path: "/pos/poslog", token: token), sink: sink)
            let ledger = try POSLedger(path: self.folder.appendingPathComponent("pos-ledger").path, retention: .seconds(86_400), logger: quietLogger)
            ingestor = POSIngestor(ledger: ledger, commitTimeout: commitTimeout, logger: quietLogger)
        }

        func app(maxBodyBytes: Int = 16 << 20) throws -> some ApplicationProtocol {
            let router = try POSListener.router(sources: [source], ingestor: ingestor, maxBodyBytes: maxBodyBytes)
            return POSListener.application(router: router, address: .hostname("127.0.0.1", port: 0), logger: quietLogger)
        }

        func cleanUp() { try? FileManager.default.removeItem(at: folder) }
    }

    static func post(_ client: some TestClientProtocol, _ body: [UInt8], token: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/xml"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/pos/poslog", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(buffer: response.body))
    }

    @Test("the NCR export: 42 accepted, 9 ignored; posted again, all 42 duplicated and nothing new in the ring")
    func fixtureThenDuplicate() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let body = try Fixture.bytes("ncr-acs-POSLog.xml")
        try await harness.app().test(.live) { client in
            let first = try await Self.post(client, body)
            #expect(first.status == .ok)
            #expect(first.headers[.contentType] == "application/json")
            #expect(try Self.decode(Answer.self, first) == Answer(accepted: 42, duplicated: 0, rejected: 0, ignored: 9, errors: []))
            let published = drain(harness.sink)
            #expect(published.count == 42)
            #expect(Set(published.map(\.key)).count == 42)

            let second = try await Self.post(client, body)
            #expect(try Self.decode(Answer.self, second) == Answer(accepted: 0, duplicated: 42, rejected: 0, ignored: 9, errors: []))
            #expect(drain(harness.sink).isEmpty)

            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
        }
        let counts = harness.source.counters.snapshot
        #expect(counts.accepted == 42 && counts.duplicated == 42 && counts.ignored == 18)
    }

    @Test("a multi-transaction document with a repeat inside it, a rejected and a control transaction")
    func mixedDocument() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        var doc = POSLogBuilder()
        doc.retail(sequence: "1", body: doc.sale(1, price: "1.00", amount: "1.00"), total: "1.00")
        doc.retail(sequence: "2", body: doc.sale(1, price: "2.00", amount: "2.00"), total: "2.00")
        doc.retail(sequence: "1", body: doc.sale(1, price: "1.00", amount: "1.00"), total: "1.00")
        doc.retail(sequence: "3", body: doc.sale(1, price: "x", amount: "1.00"), total: "1.00")
        doc.control(sequence: "4")
        let body = doc.bytes
        try await harness.app().test(.live) { client in
            let response = try await Self.post(client, body)
            #expect(response.status == .ok)
            let answer = try Self.decode(Answer.self, response)
            #expect(answer.accepted == 2 && answer.duplicated == 1 && answer.rejected == 1 && answer.ignored == 1)
            #expect(answer.errors.count == 1 && answer.errors[0].contains("RegularSalesUnitPrice 'x' is not a number"))
            #expect(drain(harness.sink).map(\.sequenceNumber) == ["1", "2"])
        }
    }

    @Test("bearer token: missing or wrong → 401 and nothing ingested; right → 200")
    func bearerToken() async throws {
        let harness = try Harness(token: "s3cret-till-token")
        defer { harness.cleanUp() }
        let body = try Fixture.bytes("ncr-acs-SMALL.xml")
        try await harness.app().test(.live) { client in
            let missing = try await Self.post(client, body)
            #expect(missing.status == .unauthorized)
            #expect(try Self.decode(Refusal.self, missing).error.contains("missing bearer token"))
            let wrong = try await Self.post(client, body, token: "s3cret-till-tokem")
            #expect(wrong.status == .unauthorized)
            #expect(try Self.decode(Refusal.self, wrong).code == "unauthorized")
            #expect(drain(harness.sink).isEmpty)
            let right = try await Self.post(client, body, token: "s3cret-till-token")
            #expect(right.status == .ok)
            #expect(try Self.decode(Answer.self, right) == Answer(accepted: 1, duplicated: 0, rejected: 0, ignored: 1, errors: []))
            #expect(drain(harness.sink).count == 1)
        }
        #expect(harness.source.counters.snapshot.refusedDocuments == 2)
        #expect(POSListener.constantTimeEqual("abc", "abc"))
        #expect(!POSListener.constantTimeEqual("abc", "abd"))
        #expect(!POSListener.constantTimeEqual("abc", "abcd"))
        #expect(!POSListener.constantTimeEqual("", "a"))
    }

    @Test("malformed XML → 400 with line and column, nothing of the document ingested (not even its good first transaction)")
    func malformed() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        var doc = POSLogBuilder()
        doc.retail(sequence: "1", body: doc.sale(1, price: "1.00", amount: "1.00"), total: "1.00")
        let broken = Array(doc.xml.replacingOccurrences(of: "</POSLog>", with: "<Transaction>").utf8)
        let good = doc.bytes
        try await harness.app().test(.live) { client in
            let response = try await Self.post(client, broken)
            #expect(response.status == .badRequest)
            let refusal = try Self.decode(Refusal.self, response)
            #expect(refusal.code == "malformed")
            #expect(refusal.error.contains("line ") && refusal.error.contains("column "), "\(refusal.error)")
            #expect(drain(harness.sink).isEmpty)
            // The listener keeps serving, and the good transaction can still be sent.
            let again = try await Self.post(client, good)
            #expect(try Self.decode(Answer.self, again).accepted == 1)
        }
    }

    @Test("a body over maxBodyBytes → 413")
    func tooLarge() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let body = try Fixture.bytes("ncr-acs-SMALL.xml")
        try await harness.app(maxBodyBytes: 4_096).test(.live) { client in
            let response = try await Self.post(client, body)
            #expect(response.status == .contentTooLarge)
            #expect(try Self.decode(Refusal.self, response).error.contains("maxBodyBytes"))
            #expect(drain(harness.sink).isEmpty)
        }
    }

    @Test("a card number in the document never reaches the ring or the ledger")
    func cardNumberOverHTTP() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let pan = "5500005555555559"
        var doc = POSLogBuilder()
        doc.retail(sequence: "77", body: doc.sale(1, price: "4.00", amount: "4.00") + doc.tender(2, type: "CreditDebit", amount: "4.00",
                   inner: "<CreditDebit><PrimaryAccountNumber>\(pan)</PrimaryAccountNumber></CreditDebit>"), total: "4.00")
        let body = doc.bytes
        try await harness.app().test(.live) { client in
            let response = try await Self.post(client, body)
            #expect(response.status == .ok)
        }
        let published = drain(harness.sink)
        #expect(published.count == 1)
        #expect(!String(decoding: try JSONEncoder().encode(published), as: UTF8.self).contains(pan))
        let ledger = try String(contentsOf: harness.folder.appendingPathComponent("pos-ledger"), encoding: .utf8)
        #expect(!ledger.contains(pan))
    }

    /// Stands in for the pipeline and the bus journal: drains the ring and settles each ack it finds
    /// with `outcome`, or leaves it unsettled while `outcome` is `nil`.
    final class Pipeline: Sendable {
        let outcome = Mutex<DeliveryAck.Outcome?>(nil)
        let acks = Mutex<[(key: String, ack: DeliveryAck)]>([])
        let drained = Mutex<[String]>([])
        private let stopped = Atomic<Bool>(false)

        init(_ sink: TransactionSink) {
            let thread = Thread { [self] in
                while !stopped.load(ordering: .relaxed) {
                    for transaction in drain(sink) {
                        drained.withLock { $0.append(transaction.sequenceNumber) }
                        guard let ack = transaction.ack else { continue }
                        acks.withLock { $0.append((transaction.sequenceNumber, ack)) }
                        if let outcome = outcome.withLock({ $0 }) { ack.settle(outcome) }
                    }
                    usleep(2_000)
                }
            }
            thread.start()
        }

        func stop() { stopped.store(true, ordering: .relaxed) }
    }

    @Test("the answer waits until the journal keeps the sale: unsynced in time or refused → 503 and not recorded, so the retry is taken")
    func answerWaitsForTheJournal() async throws {
        let harness = try Harness(commitTimeout: .milliseconds(300))
        defer { harness.cleanUp() }
        let pipeline = Pipeline(harness.sink)
        defer { pipeline.stop() }
        var doc = POSLogBuilder()
        doc.retail(sequence: "1", body: doc.sale(1, price: "1.00", amount: "1.00"), total: "1.00")
        doc.retail(sequence: "2", body: doc.sale(1, price: "2.00", amount: "2.00"), total: "2.00")
        let body = doc.bytes
        try await harness.app().test(.live) { client in
            // Never settled: the journal did not sync in time (a full disk).
            let late = try await Self.post(client, body)
            #expect(late.status == .serviceUnavailable)
            let lateRefusal = try Self.decode(Refusal.self, late)
            #expect(lateRefusal.code == "storage")
            #expect(lateRefusal.error.contains("pos.commitTimeout"))
            #expect(!harness.ingestor.ledger.contains("poslog|12/3/2026-03-01/1"))
            // One ack per document, on its last transaction.
            #expect(pipeline.acks.withLock { $0.map(\.key) } == ["2"])

            pipeline.outcome.withLock { $0 = .failed("2 events could not be journalled") }
            let refused = try await Self.post(client, body)
            #expect(refused.status == .serviceUnavailable)
            #expect(try Self.decode(Refusal.self, refused).error.contains("2 events could not be journalled"))

            pipeline.outcome.withLock { $0 = .journalled }
            let kept = try await Self.post(client, body)
            #expect(kept.status == .ok)
            #expect(try Self.decode(Answer.self, kept) == Answer(accepted: 2, duplicated: 0, rejected: 0, ignored: 0, errors: []))
            #expect(harness.ingestor.ledger.contains("poslog|12/3/2026-03-01/1"))
            #expect(harness.ingestor.ledger.contains("poslog|12/3/2026-03-01/2"))

            let again = try await Self.post(client, body)
            #expect(try Self.decode(Answer.self, again).duplicated == 2)
        }
        #expect(pipeline.drained.withLock { $0 } == ["1", "2", "1", "2", "1", "2"])
    }

    @Test("duplicates are recognised after a restart: a new ledger and ingestor on the same file")
    func duplicatesAcrossRestart() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let body = try Fixture.bytes("ncr-acs-SMALL.xml")
        do {
            let harness = try Harness(folder: folder)
            try await harness.app().test(.live) { client in
                let response = try await Self.post(client, body)
                let answer = try Self.decode(Answer.self, response)
                #expect(answer.accepted == 1)
            }
        }
        let restarted = try Harness(folder: folder)
        try await restarted.app().test(.live) { client in
            let response = try await Self.post(client, body)
            let answer = try Self.decode(Answer.self, response)
            #expect(answer.duplicated == 1)
        }
        #expect(drain(restarted.sink).isEmpty)
    }

    @Test("two sources on one path is a config error naming the key path")
    func samePathTwice() throws {
        let format = POSLogFormat(parser: utcParser)
        let a = POSSource(format: format, options: POSSourceOptions(path: "/pos/poslog"), sink: makeSink(name: "a"))
        let b = POSSource(format: format, options: POSSourceOptions(path: "/pos/poslog"), sink: makeSink(name: "b", index: 1))
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ingestor = POSIngestor(ledger: try POSLedger(path: folder.appendingPathComponent("l").path, retention: .seconds(3_600), logger: quietLogger),
                                   logger: quietLogger)
        #expect(throws: ConfigError(.invalidValue, at: "sources[5].options.path", "'/pos/poslog' is already served for source 'a': give one of them its own path")) {
            try POSListenerService(configuration: POSListenerConfig(), sources: [a, b], ingestor: ingestor,
                                   sourcePaths: ["a": "sources[4]", "b": "sources[5]"], logger: quietLogger)
        }
    }

    @Test("pos: config — defaults, listen, non-loopback refused without allowNonLoopback, unknown keys")
    func listenerConfig() throws {
        let defaults = POSListenerConfig()
        #expect(defaults.listen == "127.0.0.1:8081")
        #expect(defaults.maxBodyBytes == 16 << 20)
        #expect(defaults.ledgerRetention == .seconds(35 * 86_400))
        let root = try ConfigMap.parse(yaml: "pos:\n  listen: 0.0.0.0:9090\n", source: "test")
        #expect(throws: ConfigError(.invalidValue, at: "pos.listen",
                                    "'0.0.0.0:9090' is not a loopback address; set allowNonLoopback: true to accept POS documents from the network")) {
            try root.decode("pos", as: POSListenerConfig.self)
        }
        let allowed = try ConfigMap.parse(yaml: "pos:\n  listen: 0.0.0.0:9090\n  allowNonLoopback: true\n  maxBodyBytes: 2048\n", source: "test")
        let config = try allowed.decode("pos", as: POSListenerConfig.self)
        #expect(config.port == 9090 && config.maxBodyBytes == 2048)
        let typo = try ConfigMap.parse(yaml: "pos:\n  lsten: 127.0.0.1:1\n", source: "test")
        #expect(throws: ConfigError.self) { try typo.decode("pos", as: POSListenerConfig.self) }
        let small = try ConfigMap.parse(yaml: "pos:\n  maxBodyBytes: 10\n", source: "test")
        #expect(throws: ConfigError(.invalidValue, at: "pos.maxBodyBytes", "10 is out of range (1024–1073741824)")) {
            try small.decode("pos", as: POSListenerConfig.self)
        }
    }

    @Test("an intake route: its bearer token checked, its body handed over, its reply sent; a path clash with a source refused")
    func intakeRoute() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let received = Mutex<[[UInt8]]>([])
        let route = IntakeRoute(name: "the customer.consent input", path: "/crm/consent", token: "s3cret") { body in
            received.withLock { $0.append(body) }
            return IntakeReply(status: 200, ["accepted": 1])
        }
        let router = try POSListener.router(sources: [harness.source], ingestor: harness.ingestor, maxBodyBytes: 1_024, routes: [route])
        let app = POSListener.application(router: router, address: .hostname("127.0.0.1", port: 0), logger: quietLogger)
        try await app.test(.live) { client in
            let body = ByteBuffer(string: #"{"customer":"C-1","marketing":true}"#)
            let missing = try await client.execute(uri: "/crm/consent", method: .post, body: body)
            #expect(missing.status == .unauthorized)
            #expect(try Self.decode(Refusal.self, missing).error.contains("missing bearer token"))
            let wrong = try await client.execute(uri: "/crm/consent", method: .post, headers: [.authorization: "Bearer nope"], body: body)
            #expect(wrong.status == .unauthorized)
            let large = try await client.execute(uri: "/crm/consent", method: .post, headers: [.authorization: "Bearer s3cret"],
                                                 body: ByteBuffer(repeating: 0x20, count: 2_048))
            #expect(large.status == .contentTooLarge)
            #expect(received.withLock { $0.isEmpty })
            let good = try await client.execute(uri: "/crm/consent", method: .post, headers: [.authorization: "Bearer s3cret"], body: body)
            #expect(good.status == .ok)
            #expect(String(buffer: good.body) == #"{"accepted":1}"#)
            // The POS route beside it is untouched by the intake route's token.
            var doc = POSLogBuilder()
            doc.retail(sequence: "9", body: doc.sale(1, price: "1.00", amount: "1.00"), total: "1.00")
            #expect(try await Self.post(client, doc.bytes).status == .ok)
        }
        #expect(received.withLock { $0 } == [Array(#"{"customer":"C-1","marketing":true}"#.utf8)])
        let clash = IntakeRoute(name: "the customer.consent input", path: "/pos/poslog", token: nil) { _ in IntakeReply(status: 200, [String: Int]()) }
        #expect(throws: ConfigError.self) {
            try POSListener.router(sources: [harness.source], ingestor: harness.ingestor, maxBodyBytes: 1_024, routes: [clash])
        }
    }
}
