import Foundation
import GatewayCore
import Testing

@testable import Bus

/// Publisher and subscriber over real TCP sockets on loopback, one port per test.
@Suite("Publisher and subscriber", .serialized)
struct PubSubTests {
    private func configuration(_ endpoint: String, sendHighWaterMark: Int = 100_000) -> BusConfig {
        var configuration = BusConfig()
        configuration.publish = endpoint
        configuration.sendHighWaterMark = sendHighWaterMark
        configuration.journal.groupCommit = .milliseconds(2)
        return configuration
    }

    /// Publishes probes until the subscriber receives one, so the subscription is known to be in
    /// place; returns the events received while probing.
    private func establish(_ subscriber: EventSubscriber, probe: () throws -> Void) throws -> [GatewayEvent] {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            try probe()
            let events = try subscriber.receive(maxBatch: 100, timeout: .milliseconds(20))
            if !events.isEmpty { return events }
        }
        Issue.record("the subscription was not established within 10 s")
        return []
    }

    @Test("10,000 events arrive complete and gap-free")
    func tenThousand() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let publisher = try withFreeEndpoint {
            try EventPublisher(configuration: configuration($0), gateway: "gw-1", store: "store-1", journalDirectory: directory, logger: quietLogger)
        }
        defer { publisher.close() }
        let subscriber = try EventSubscriber(endpoints: [publisher.endpoint], logger: quietLogger)
        defer { subscriber.close() }

        var received = try establish(subscriber) { publisher.emit(statusPayload(-1, message: "probe"), at: .now()); publisher.flush() }
        let firstSeq = try #require(received.first?.seq)
        let probes = publisher.statistics.lastSeq
        for index in 0..<10_000 {
            publisher.emit(statusPayload(index), at: fixedTime)
        }
        publisher.flush()
        let lastSeq = publisher.statistics.lastSeq
        #expect(lastSeq == probes + 10_000)

        let deadline = ContinuousClock.now + .seconds(60)
        while received.last?.seq != lastSeq, ContinuousClock.now < deadline {
            received += try subscriber.receive(maxBatch: 1_000, timeout: .milliseconds(100))
        }
        #expect(received.map(\.seq) == Array(firstSeq...lastSeq))
        #expect(received.allSatisfy { $0.gateway == "gw-1" && $0.store == "store-1" })
        let events = received.filter { $0.seq > probes }
        #expect(events.count == 10_000)
        #expect(events.enumerated().allSatisfy { index, event in event.payload == statusPayload(index) && event.ts == fixedTime })

        let stats = subscriber.statistics
        #expect(stats.gaps == 0)
        #expect(stats.missing == 0)
        #expect(stats.duplicates == 0)
        #expect(stats.malformed == 0)
        #expect(stats.delivered == UInt64(received.count))
        #expect(stats.received == stats.delivered)
        #expect(subscriber.lastSeq(gateway: "gw-1") == lastSeq)

        let published = publisher.statistics
        #expect(published.refused == 0)
        #expect(published.published == lastSeq)
        #expect(published.journalBytes > 0)
        #expect(waitUntil { publisher.statistics.durableSeq == lastSeq })
    }

    @Test("seq continues from the journal after a restart, and the journal holds every event")
    func seqContinuesAfterRestart() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let first = try withFreeEndpoint {
            try EventPublisher(configuration: configuration($0), gateway: "gw-1", store: "store-1", journalDirectory: directory, logger: quietLogger)
        }
        #expect(first.statistics.lastSeq == 0)
        for index in 0..<5 { first.emit(statusPayload(index), at: fixedTime) }
        #expect(first.statistics.lastSeq == 5)
        first.close()
        #expect(first.statistics.durableSeq == 5)

        let second = try withFreeEndpoint {
            try EventPublisher(configuration: configuration($0), gateway: "gw-1", store: "store-1", journalDirectory: directory, logger: quietLogger)
        }
        #expect(second.statistics.lastSeq == 5)
        second.emit(statusPayload(5), at: fixedTime)
        #expect(second.statistics.lastSeq == 6)
        second.close()

        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(5), logger: quietLogger)
        defer { journal.close() }
        #expect(journal.lastSeq == 6)
        let codec = EventCodec()
        let events = try journal.read(from: 1, limit: 100).map { seq, body in
            let event = try codec.decode(topic: EventType.readerStatus.topic, body: body)
            #expect(event.seq == seq)
            return event
        }
        #expect(events.map(\.seq) == Array(1...6))
        #expect(events.map(\.payload) == (0..<6).map { statusPayload($0) })
    }

    @Test("without a journal, seq starts at 1")
    func noJournal() throws {
        var config = configuration("")
        config.journal.enabled = false
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let publisher = try withFreeEndpoint { endpoint in
            config.publish = endpoint
            return try EventPublisher(configuration: config, gateway: "gw-1", store: "store-1", journalDirectory: directory, logger: quietLogger)
        }
        defer { publisher.close() }
        #expect(publisher.journal == nil)
        publisher.emit(statusPayload(0), at: fixedTime)
        #expect(publisher.statistics.lastSeq == 1)
        #expect(publisher.statistics.journalBytes == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test("binding a busy endpoint fails naming it")
    func bindFailure() throws {
        let publisher = try withFreeEndpoint {
            try EventPublisher(configuration: configuration($0), gateway: "gw-1", store: "store-1", journalDirectory: nil, logger: quietLogger)
        }
        defer { publisher.close() }
        let error = #expect(throws: BusError.self) {
            try EventPublisher(configuration: configuration(publisher.endpoint), gateway: "gw-2", store: "store-1", journalDirectory: nil,
                               logger: quietLogger)
        }
        #expect(error?.code == .bind)
        #expect(error?.message.contains(publisher.endpoint) == true)
    }

    @Test("an unsafe configuration is refused before binding")
    func configRefused() {
        let error = #expect(throws: BusError.self) {
            try EventPublisher(configuration: configuration("tcp://0.0.0.0:5556"), gateway: "gw-1", store: "store-1", journalDirectory: nil,
                               logger: quietLogger)
        }
        #expect(error?.code == .config)
        let subscriberError = #expect(throws: BusError.self) { try EventSubscriber(endpoints: ["tcp://127.0.0.1:99999"], logger: quietLogger) }
        #expect(subscriberError?.code == .config)
    }

    @Test("the subscriber drops duplicates, reports gaps, and skips malformed messages")
    func gapsDuplicatesMalformed() throws {
        let capture = LogCapture()
        let codec = EventCodec()
        let (raw, endpoint) = try withFreeEndpoint { endpoint -> (ZMQSocket, String) in
            let socket = try ZMQSocket(.pub)
            do {
                try socket.bind(endpoint)
            } catch {
                socket.close()
                throw error
            }
            return (socket, endpoint)
        }
        defer { raw.close() }
        func send(_ gateway: String, _ seq: UInt64) throws {
            let (topic, body) = try codec.encode(GatewayEvent(seq: seq, gateway: gateway, store: "store-1", ts: fixedTime, payload: statusPayload(Int(seq))))
            try #require(try raw.send([Array(topic.utf8), body], dontWait: false))
        }

        let subscriber = try EventSubscriber(endpoints: [endpoint], logger: capture.logger)
        defer { subscriber.close() }
        var probeSeq: UInt64 = 0
        _ = try establish(subscriber) {
            probeSeq += 1
            try send("probe", probeSeq)
        }
        #expect(subscriber.statistics.gaps == 0)

        subscriber.resume(gateway: "gw-B", after: 10)
        for seq: UInt64 in [1, 2, 3, 3, 2, 7, 8] { try send("gw-A", seq) }
        try raw.send([Array("reader.status".utf8), Array("not json".utf8)], dontWait: false)
        try raw.send([Array("reader.status".utf8)], dontWait: false)
        let (_, erased) = try codec.encode(GatewayEvent(seq: 1, gateway: "gw-C", store: "s", ts: fixedTime, payload: .customerErased(CustomerErased(token: "t"))))
        try raw.send([Array("reader.status".utf8), erased], dontWait: false)
        for seq: UInt64 in [10, 11, 14] { try send("gw-B", seq) }
        try send("end", 1)

        var events: [GatewayEvent] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while events.last?.gateway != "end", ContinuousClock.now < deadline {
            events += try subscriber.receive(maxBatch: 100, timeout: .milliseconds(100))
        }
        let delivered = events.filter { $0.gateway != "probe" }
        #expect(delivered.map { "\($0.gateway):\($0.seq)" } == ["gw-A:1", "gw-A:2", "gw-A:3", "gw-A:7", "gw-A:8", "gw-B:11", "gw-B:14", "end:1"])

        let stats = subscriber.statistics
        #expect(stats.duplicates == 3)
        #expect(stats.gaps == 2)
        #expect(stats.missing == 5)
        #expect(stats.malformed == 3)
        #expect(stats.received == stats.delivered + stats.malformed + stats.duplicates)
        #expect(subscriber.lastSeq(gateway: "gw-A") == 8)
        #expect(subscriber.lastSeq(gateway: "gw-B") == 14)

        let gapWarnings = capture.lines.filter { $0.level == .warning && $0.message.contains("gap") }
        #expect(gapWarnings.map { $0.metadata["bus.gateway"]?.description } == ["gw-A", "gw-B"])
        #expect(gapWarnings.first?.metadata["bus.missingFrom"]?.description == "4")
        #expect(gapWarnings.first?.metadata["bus.missingTo"]?.description == "6")
        #expect(capture.lines.filter { $0.message.contains("malformed") }.count == 3)
    }

    @Test("a topic filter only lets matching events through")
    func topicFilter() throws {
        let publisher = try withFreeEndpoint {
            try EventPublisher(configuration: configuration($0), gateway: "gw-1", store: "store-1", journalDirectory: nil, logger: quietLogger)
        }
        defer { publisher.close() }
        let subscriber = try EventSubscriber(endpoints: [publisher.endpoint], topics: ["customer.", "reader."], logger: quietLogger)
        defer { subscriber.close() }
        _ = try establish(subscriber) { publisher.emit(statusPayload(0), at: fixedTime); publisher.flush() }
        for payload in everyPayload { publisher.emit(payload, at: fixedTime) }
        publisher.emit(statusPayload(1), at: fixedTime)
        publisher.flush()
        var events: [GatewayEvent] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while events.last?.payload != statusPayload(1), ContinuousClock.now < deadline {
            events += try subscriber.receive(maxBatch: 100, timeout: .milliseconds(100))
        }
        let types = Set(events.map(\.type))
        #expect(types == [.customerArrival, .customerSegment, .customerErased, .readerStatus])
    }

    @Test("events a subscriber at its high-water mark misses are counted, never silently dropped")
    func highWaterMarkRefusal() throws {
        let publisher = try withFreeEndpoint {
            try EventPublisher(configuration: configuration($0, sendHighWaterMark: 10), gateway: "gw-1", store: "store-1", journalDirectory: nil,
                               logger: quietLogger)
        }
        defer { publisher.close() }
        // This subscriber reads only to learn that it is subscribed, then never again.
        let subscriber = try EventSubscriber(endpoints: [publisher.endpoint], receiveHighWaterMark: 10, logger: quietLogger)
        defer { subscriber.close() }
        _ = try establish(subscriber) { publisher.emit(statusPayload(-1), at: .now()); publisher.flush() }

        let before = publisher.statistics
        // Big events, so the backlog outgrows the kernel's socket buffers as well as both queues.
        let padding = String(repeating: "x", count: 4_096)
        for index in 0..<10_000 {
            publisher.emit(statusPayload(index, message: padding), at: fixedTime)
        }
        publisher.flush()
        let after = publisher.statistics
        let published = after.published - before.published
        let refused = after.refused - before.refused
        #expect(refused > 0)
        #expect(published == 10_000, "sent on for any subscriber with room")
        #expect(after.lastSeq - before.lastSeq == 10_000)
    }

    @Test("a subscriber that never reads does not hold the live bus back from the others")
    func stalledSubscriberDoesNotStopTheOthers() throws {
        let publisher = try withFreeEndpoint {
            try EventPublisher(configuration: configuration($0, sendHighWaterMark: 1_000), gateway: "gw-1", store: "store-1", journalDirectory: nil,
                               logger: quietLogger)
        }
        defer { publisher.close() }
        let stalled = try EventSubscriber(endpoints: [publisher.endpoint], receiveHighWaterMark: 10, logger: quietLogger)
        defer { stalled.close() }
        let reading = try EventSubscriber(endpoints: [publisher.endpoint], receiveHighWaterMark: 10, logger: quietLogger)
        defer { reading.close() }
        _ = try establish(stalled) { publisher.emit(statusPayload(-1), at: .now()); publisher.flush() }
        var seen = try establish(reading) { publisher.emit(statusPayload(-1), at: .now()); publisher.flush() }.map(\.seq)

        // In lockstep with the reading subscriber, so only the stalled one can fall behind: big events,
        // so its backlog outgrows the kernel's socket buffers as well as both queues. The mark is not
        // tiny: ZeroMQ learns what a peer has read only every half mark, so a reader in lockstep with
        // a mark of 10 can look full when it is not.
        let padding = String(repeating: "x", count: 16_384)
        let first = publisher.statistics.lastSeq + 1
        for index in 0..<3_000 {
            publisher.emit(statusPayload(index, message: padding), at: fixedTime)
            publisher.flush()
            let seq = publisher.statistics.lastSeq
            let deadline = ContinuousClock.now + .seconds(10)
            while seen.last.map({ $0 < seq }) ?? true, ContinuousClock.now < deadline {
                seen += try reading.receive(maxBatch: 100, timeout: .milliseconds(50)).map(\.seq)
            }
            try #require(seen.last == seq, "the reading subscriber got event \(seq) live")
        }
        #expect(Array(seen.drop { $0 < first }) == Array(first...publisher.statistics.lastSeq), "every event, in order, none missed")
        #expect(publisher.statistics.refused > 0, "the stalled subscriber missed events, and they were counted")
    }
}
