import Foundation
import GatewayCore
import Testing

@testable import Bus

/// The recovering subscriber against real publishers and replay servers over TCP on loopback.
@Suite("Recovering subscriber", .serialized)
struct RecoveringSubscriberTests {
    private func seqs(_ events: [GatewayEvent], of gateway: String = "gw-1") -> [UInt64] {
        events.filter { $0.gateway == gateway }.map(\.seq)
    }

    @Test("a subscriber that falls past the high-water mark recovers every missed event from replay")
    func fallsBehind() throws {
        let gateway = try TestGateway(id: "gw-1", sendHighWaterMark: 10)
        defer { gateway.close() }
        let capture = LogCapture()
        let subscriber = try RecoveringSubscriber(sources: [gateway.source], receiveHighWaterMark: 10, tailCheckInterval: .milliseconds(200),
                                                  logger: capture.logger)
        defer { subscriber.close() }
        // Connected: an event arrives live, not only by replay.
        var events = try receive(from: subscriber, timeout: .seconds(10)) { _ in
            let stats = subscriber.statistics
            if stats.delivered > stats.replayed { return true }
            gateway.emit(1)
            return false
        }
        try #require(subscriber.statistics.delivered > subscriber.statistics.replayed)

        // The subscriber pauses while big events pile up: the queues fill and the publisher refuses.
        gateway.emit(3_000, padding: String(repeating: "x", count: 4_096))
        #expect(gateway.publisher.statistics.refused > 0)
        let last = gateway.lastSeq

        // No event follows the burst: the refused tail is found by asking replay for the last seq.
        events += try receive(from: subscriber) { $0.last?.seq == last }
        #expect(seqs(events) == Array(1...last))
        let stats = subscriber.statistics
        #expect(stats.unrecoverable == 0)
        #expect(stats.replayed > 0)
        #expect(stats.delivered == last)
        #expect(subscriber.lastSeq(gateway: "gw-1") == last)
        #expect(!capture.lines.contains { $0.level >= .error })
    }

    @Test("a subscriber started after events were published catches up from its resumed cursor, then follows live")
    func catchUpFromCursor() throws {
        let gateway = try TestGateway(id: "gw-1")
        defer { gateway.close() }
        gateway.emit(300)
        let subscriber = try RecoveringSubscriber(sources: [gateway.source], logger: quietLogger)
        defer { subscriber.close() }
        subscriber.resume(gateway: "gw-1", after: 100)
        var events = try receive(from: subscriber) { $0.last?.seq == 300 }
        #expect(seqs(events) == Array(101...300))
        #expect(subscriber.statistics.replayed == 200)

        gateway.emit(10)
        events += try receive(from: subscriber) { $0.last?.seq == 310 }
        #expect(seqs(events) == Array(101...310))
        #expect(subscriber.statistics.unrecoverable == 0)
    }

    @Test("two gateways feed one subscriber, each in its own seq space")
    func twoGateways() throws {
        let first = try TestGateway(id: "gw-A")
        defer { first.close() }
        let second = try TestGateway(id: "gw-B")
        defer { second.close() }
        first.emit(150)
        second.emit(100)
        // Sources in any order: which replay endpoint serves which gateway is learned from the endpoints.
        let subscriber = try RecoveringSubscriber(sources: [second.source, first.source], logger: quietLogger)
        defer { subscriber.close() }
        subscriber.resume(gateway: "gw-B", after: 40)
        for _ in 0..<50 {
            first.emit(1)
            second.emit(1)
        }
        let events = try receive(from: subscriber) { _ in
            subscriber.lastSeq(gateway: "gw-A") == 200 && subscriber.lastSeq(gateway: "gw-B") == 150
        }
        #expect(seqs(events, of: "gw-A") == Array(1...200))
        #expect(seqs(events, of: "gw-B") == Array(41...150))
        #expect(events.count == 310)
        #expect(subscriber.statistics.unrecoverable == 0)
    }

    @Test("a gap the replay endpoint cannot fill is counted, logged with its range, and skipped")
    func replayUnreachable() throws {
        let publisher = try RawPublisher()
        defer { publisher.close() }
        // Nothing listens on the replay port.
        let replay = "tcp://127.0.0.1:\(try freeLoopbackPort())"
        let capture = LogCapture()
        let subscriber = try RecoveringSubscriber(sources: [BusSource(bus: publisher.endpoint, replay: replay)], start: .live,
                                                  replayTimeout: .milliseconds(150), replayAttempts: 2, logger: capture.logger)
        defer { subscriber.close() }
        var probe: UInt64 = 0
        _ = try receive(from: subscriber, timeout: .seconds(10)) { events in
            probe += 1
            try? publisher.send(testEvent(probe, gateway: "probe"))
            return !events.isEmpty
        }
        for seq: UInt64 in [1, 2, 3, 7, 8] { try publisher.send(testEvent(seq, gateway: "gw-X")) }
        let events = try receive(from: subscriber) { $0.last?.gateway == "gw-X" && $0.last?.seq == 8 }
        #expect(seqs(events, of: "gw-X") == [1, 2, 3, 7, 8])
        #expect(subscriber.statistics.unrecoverable == 3)
        let lost = try #require(capture.lines.first { $0.level == .error && $0.message.contains("cannot be recovered") })
        #expect(lost.metadata["bus.gateway"] == "gw-X")
        #expect(lost.metadata["bus.lostFrom"] == "4")
        #expect(lost.metadata["bus.lostTo"] == "6")
    }

    @Test("a replay endpoint that stops answering is retried, then the gap is counted unrecoverable")
    func replayStops() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let journal = try Journal.open(directory: directory, logger: quietLogger)
        defer { journal.close() }
        try fill(journal, gateway: "gw-X", 1...3)
        let server = try makeReplayServer(journal: journal, gateway: "gw-X")
        let publisher = try RawPublisher()
        defer { publisher.close() }
        let capture = LogCapture()
        let subscriber = try RecoveringSubscriber(sources: [BusSource(bus: publisher.endpoint, replay: server.endpoint)], start: .live,
                                                  replayTimeout: .milliseconds(150), replayAttempts: 2, tailCheckInterval: .seconds(60),
                                                  logger: capture.logger)
        defer { subscriber.close() }
        // Catching up proves the replay endpoint is known to serve gw-X.
        subscriber.resume(gateway: "gw-X", after: 0)
        var events = try receive(from: subscriber) { $0.last?.seq == 3 }
        #expect(seqs(events, of: "gw-X") == [1, 2, 3])
        #expect(subscriber.statistics.replayed == 3)
        server.stop()

        // Until the subscription is up, live events may be lost (and are then reported as a gap too).
        var next: UInt64 = 4
        events += try receive(from: subscriber, timeout: .seconds(10)) { events in
            if events.isEmpty {
                try? publisher.send(testEvent(next, gateway: "gw-X"))
                next += 1
            }
            return !events.isEmpty
        }
        try #require(!events.isEmpty)
        let sent = next - 1
        events += try receive(from: subscriber) { _ in subscriber.lastSeq(gateway: "gw-X") == sent }
        let before = subscriber.statistics.unrecoverable

        try publisher.send(testEvent(sent + 11, gateway: "gw-X"))
        events += try receive(from: subscriber) { $0.last?.seq == sent + 11 }
        #expect(events.last?.seq == sent + 11)
        #expect(subscriber.statistics.unrecoverable - before == 10)
        let lost = try #require(capture.lines.last { $0.level == .error && $0.message.contains("cannot be recovered") })
        #expect(lost.metadata["bus.gateway"] == "gw-X")
        #expect(lost.metadata["bus.lostFrom"] == "\(sent + 1)")
        #expect(lost.metadata["bus.lostTo"] == "\(sent + 10)")
        #expect(lost.metadata["reason"]?.description.contains("did not answer") == true)
    }

    @Test("events older than the journal keeps are counted unrecoverable; a gateway new to the subscriber just starts at the oldest")
    func beforeRetention() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 4_096, maxBytes: 12_000,
                                       logger: quietLogger)
        defer { journal.close() }
        try fill(journal, 1...200)
        #expect(waitUntil { journal.byteCount <= 12_000 })
        let oldest = journal.firstSeq
        try #require(oldest > 11)
        let server = try makeReplayServer(journal: journal)
        defer { server.stop() }
        let publisher = try RawPublisher()
        defer { publisher.close() }
        let source = BusSource(bus: publisher.endpoint, replay: server.endpoint)

        let capture = LogCapture()
        let resumed = try RecoveringSubscriber(sources: [source], logger: capture.logger)
        defer { resumed.close() }
        resumed.resume(gateway: "gw-1", after: 10)
        let events = try receive(from: resumed) { $0.last?.seq == 200 }
        #expect(seqs(events) == Array(oldest...200))
        #expect(resumed.statistics.unrecoverable == oldest - 11)
        let lost = try #require(capture.lines.first { $0.level == .error && $0.message.contains("cannot be recovered") })
        #expect(lost.metadata["bus.lostFrom"] == "11")
        #expect(lost.metadata["bus.lostTo"] == "\(oldest - 1)")

        let fresh = try RecoveringSubscriber(sources: [source], logger: quietLogger)
        defer { fresh.close() }
        let all = try receive(from: fresh) { $0.last?.seq == 200 }
        #expect(seqs(all) == Array(oldest...200))
        #expect(fresh.statistics.unrecoverable == 0)
    }

    @Test("a topic filter narrows what is delivered, not what is recovered")
    func topicFilter() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), logger: quietLogger)
        defer { journal.close() }
        let count = UInt64(everyPayload.count * 3)
        try fill(journal, 1...count) { everyPayload[Int($0 - 1) % everyPayload.count] }
        let server = try makeReplayServer(journal: journal)
        defer { server.stop() }
        let publisher = try RawPublisher()
        defer { publisher.close() }
        let subscriber = try RecoveringSubscriber(sources: [BusSource(bus: publisher.endpoint, replay: server.endpoint)], topics: ["customer."],
                                                  logger: quietLogger)
        defer { subscriber.close() }
        subscriber.resume(gateway: "gw-1", after: 0)
        let events = try receive(from: subscriber) { _ in subscriber.lastSeq(gateway: "gw-1") == count }
        #expect(Set(events.map(\.type)) == [.customerArrival, .customerSegment, .customerErased])
        #expect(events.count == 9)
        let stats = subscriber.statistics
        #expect(stats.filtered == count - 9)
        #expect(stats.delivered == 9)
        #expect(stats.replayed == count)
    }
}
