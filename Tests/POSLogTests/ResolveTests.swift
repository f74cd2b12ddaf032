import Foundation
import GatewayCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import POSIngest
import Synchronization
import Testing

/// The listener's completion step (`POSDocumentFormat.resolve`) with a format whose documents only
/// name their transaction, as Square's order summaries do: what the ledger knows is not fetched, a
/// failed completion answers 503 and records nothing, a retry then ingests once.
@Suite struct ResolveTests {
    /// A body `delivery order` names a transaction of store S, till W, day D, sequence `order`.
    final class ReferringFormat: POSDocumentFormat {
        enum Behaviour: Sendable {
            case complete
            case fail(POSIngestError)
            case leavePending
        }

        let behaviour = Mutex(Behaviour.complete)
        let calls = Mutex<[String]>([])

        var driver: String { "referring" }
        var defaultPath: String { "/pos/referring" }
        var usesBearerToken: Bool { false }

        static func key(_ order: String) -> String { "S/W/2026-03-01/\(order)" }

        func parse(_ request: POSRequest) throws(POSIngestError) -> POSDocument {
            let words = String(decoding: request.body, as: UTF8.self).split(separator: " ").map(String.init)
            guard words.count == 2 else { throw POSIngestError(.malformed, "expected 'delivery order'") }
            return POSDocument(transactions: [], deliveryID: words[0],
                               pending: [POSPendingTransaction(reference: words[1], expectedKey: Self.key(words[1]))])
        }

        func resolve(_ document: POSDocument) async throws(POSIngestError) -> POSDocument {
            calls.withLock { $0.append(contentsOf: document.pending.map(\.reference)) }
            var document = document
            switch behaviour.withLock({ $0 }) {
            case .fail(let error): throw error
            case .leavePending: return document
            case .complete:
                for item in document.pending {
                    document.transactions.append(PosTransaction(
                        storeID: "S", workstationID: "W", sequenceNumber: item.reference, businessDay: "2026-03-01",
                        endedAt: Timestamp(microseconds: 1_772_358_000_000_000), currency: "EUR",
                        lines: [.init(number: 1, itemID: "x", quantity: 1, unitPrice: 1, amount: 1)], tenders: [], total: 1))
                }
                document.pending = []
                return document
            }
        }
    }

    struct Answer: Decodable, Equatable {
        var accepted: Int
        var duplicated: Int
        var rejected: Int
        var ignored: Int
        var errors: [String]
    }

    final class Harness: Sendable {
        let folder: URL
        let inbox: ControlInbox
        let sink: TransactionSink
        let format = ReferringFormat()
        let source: POSSource
        let ledger: POSLedger
        let ingestor: POSIngestor

        init() throws {
            folder = try temporaryFolder()
            let doorbell = Doorbell()
            inbox = ControlInbox(doorbell: doorbell)
            sink = TransactionSink(source: SourceDescriptor(index: 0, name: "ref", driver: "referring"),
                                   ring: SPSCRing<PosTransaction>(capacity: 64, lossless: .block, doorbell: doorbell), inbox: inbox)
            source = POSSource(format: format, options: POSSourceOptions(path: "/pos/referring"), sink: sink)
            ledger = try POSLedger(path: folder.appendingPathComponent("pos-ledger").path, retention: .seconds(86_400), logger: quietLogger)
            ingestor = POSIngestor(ledger: ledger, logger: quietLogger)
        }

        func app() throws -> some ApplicationProtocol {
            let router = try POSListener.router(sources: [source], ingestor: ingestor, maxBodyBytes: 1 << 16)
            return POSListener.application(router: router, address: .hostname("127.0.0.1", port: 0), logger: quietLogger)
        }

        func cleanUp() { try? FileManager.default.removeItem(at: folder) }
    }

    static func post(_ client: some TestClientProtocol, _ text: String) async throws -> TestResponse {
        try await client.execute(uri: "/pos/referring", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: text))
    }

    static func answer(_ response: TestResponse) throws -> Answer {
        try JSONDecoder().decode(Answer.self, from: Data(buffer: response.body))
    }

    @Test("a completed document is published once; a retried delivery and another delivery of the same transaction are not completed again")
    func screenedBeforeResolve() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try await harness.app().test(.live) { client in
            let first = try await Self.post(client, "d1 O-1")
            #expect(first.status == .ok)
            #expect(try Self.answer(first) == Answer(accepted: 1, duplicated: 0, rejected: 0, ignored: 0, errors: []))
            #expect(drain(harness.sink).map(\.key) == [ReferringFormat.key("O-1")])

            let retried = try await Self.post(client, "d1 O-1")
            #expect(try Self.answer(retried) == Answer(accepted: 0, duplicated: 1, rejected: 0, ignored: 0, errors: []))
            let other = try await Self.post(client, "d2 O-1")
            #expect(try Self.answer(other) == Answer(accepted: 0, duplicated: 1, rejected: 0, ignored: 0, errors: []))
            #expect(drain(harness.sink).isEmpty)
        }
        #expect(harness.format.calls.withLock { $0 } == ["O-1"], "only the first delivery was completed")
        #expect(harness.ledger.contains("referring|delivery|d2"), "the second delivery is recorded as seen")
        let counts = harness.source.counters.snapshot
        #expect(counts.accepted == 1 && counts.duplicated == 2 && counts.refusedDocuments == 0)
    }

    @Test("a completion that fails answers 503 and records nothing; the retry ingests the transaction once")
    func failedResolveIsRetried() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        harness.format.behaviour.withLock { $0 = .fail(POSIngestError(.unavailable, "the other end is down")) }
        try await harness.app().test(.live) { client in
            let down = try await Self.post(client, "d1 O-7")
            #expect(down.status == .serviceUnavailable)
            #expect(String(buffer: down.body).contains("the other end is down"))
            #expect(String(buffer: down.body).contains("\"code\":\"unavailable\""))
            #expect(drain(harness.sink).isEmpty)
            #expect(!harness.ledger.contains("referring|delivery|d1"))
            #expect(!harness.ledger.contains("referring|\(ReferringFormat.key("O-7"))"))

            harness.format.behaviour.withLock { $0 = .fail(POSIngestError(.upstream, "refused")) }
            let refused = try await Self.post(client, "d1 O-7")
            #expect(refused.status == .badGateway)

            harness.format.behaviour.withLock { $0 = .complete }
            let retry = try await Self.post(client, "d1 O-7")
            #expect(retry.status == .ok)
            #expect(try Self.answer(retry).accepted == 1)
            #expect(drain(harness.sink).map(\.sequenceNumber) == ["O-7"])
            let again = try await Self.post(client, "d1 O-7")
            #expect(try Self.answer(again).duplicated == 1)
            #expect(drain(harness.sink).isEmpty)
        }
        #expect(harness.format.calls.withLock { $0 } == ["O-7", "O-7", "O-7"])
        #expect(harness.source.counters.snapshot.refusedDocuments == 2)
        // The failure is the feed's state (reader.status error), and the recovery reports it connected again.
        let states = harness.inbox.take().map(\.state)
        #expect(states == [.error, .error, .connected], "\(states)")
    }

    @Test("what a format leaves pending is counted as ignored, and nothing is published for it")
    func leftPendingIsIgnored() async throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        harness.format.behaviour.withLock { $0 = .leavePending }
        let outcome = try await harness.ingestor.ingest(POSRequest(headers: [:], body: Array("d9 O-9".utf8)), for: harness.source, origin: "test")
        #expect(outcome == POSIngestOutcome(ignored: 1))
        #expect(drain(harness.sink).isEmpty)
    }

    @Test("formats without a completion step are untouched by it")
    func defaultResolve() async throws {
        struct Plain: POSDocumentFormat {
            var driver: String { "plain" }
            var defaultPath: String { "/p" }
            var usesBearerToken: Bool { true }
            func parse(_ request: POSRequest) throws(POSIngestError) -> POSDocument { POSDocument(transactions: []) }
        }
        let document = POSDocument(transactions: [], ignored: 2, pending: [POSPendingTransaction(reference: "r")])
        let resolved = try await Plain().resolve(document)
        #expect(resolved.ignored == 2 && resolved.pending == document.pending)
        #expect(POSIngestError(.unavailable, "x").httpStatus == 503)
        #expect(POSIngestError(.upstream, "x").httpStatus == 502)
    }
}
