import Foundation
import GatewayCore
import Testing

@testable import Bus

/// The replay server over real TCP on loopback, driven by a hand-written DEALER client.
@Suite("Replay server", .serialized)
struct ReplayServerTests {
    /// A journal of gateway gw-1 holding seqs 1…`last`, and a server for it.
    private func serve(_ last: UInt64, segmentBytes: Int = Journal.defaultSegmentBytes, maxBytes: Int = .max,
                       _ body: (Journal, ReplayServer, RawReplayClient) throws -> Void) throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: segmentBytes, maxBytes: maxBytes,
                                       logger: quietLogger)
        defer { journal.close() }
        try fill(journal, 1...last)
        let server = try makeReplayServer(journal: journal)
        defer { server.stop() }
        let client = try RawReplayClient(server.endpoint)
        defer { client.close() }
        try body(journal, server, client)
    }

    @Test("info names the gateway and the journal's range")
    func info() throws {
        try serve(42) { _, _, client in
            let (batches, answer) = try client.exchange(#"{"op":"info","id":"hello"}"#)
            #expect(batches.isEmpty)
            #expect(answer.kind == "info")
            #expect(answer.header == RawReplayClient.Header(id: .string("hello"), gateway: "gw-1", lastSeq: 42, firstSeq: 1))
        }
    }

    @Test("a range streams in batches of at most 500, then an end marker")
    func range() throws {
        try serve(1_234) { _, server, client in
            let (batches, end) = try client.exchange(#"{"id":7,"gateway":"gw-1","from":10,"to":1100}"#)
            #expect(batches.map(\.bodies.count) == [500, 500, 91])
            #expect(batches.map(\.header.from) == [10, 510, 1_010])
            #expect(batches.map(\.header.to) == [509, 1_009, 1_100])
            #expect(batches.allSatisfy { $0.header.id == .number(7) && $0.header.count == $0.bodies.count })
            #expect(try seqs(of: batches) == Array(10...1_100))
            #expect(end.kind == "end")
            #expect(end.header == RawReplayClient.Header(id: .number(7), gateway: "gw-1", from: 10, to: 1_100, count: 1_091, lastSeq: 1_234))
            #expect(waitUntil { server.statistics.eventsSent == 1_091 && server.statistics.activeStreams == 0 })
        }
    }

    @Test("without to, the replay runs to the last seq; past it, only the end marker comes")
    func openAndEmpty() throws {
        try serve(1_234) { _, _, client in
            let (batches, end) = try client.exchange(#"{"gateway":"gw-1","from":1200}"#)
            #expect(try seqs(of: batches) == Array(1_200...1_234))
            #expect(end.header.to == 1_234)
            #expect(end.header.count == 35)

            let (none, empty) = try client.exchange(#"{"gateway":"gw-1","from":2000}"#)
            #expect(none.isEmpty)
            #expect(empty.kind == "end")
            #expect(empty.header.count == 0)
            #expect(empty.header.lastSeq == 1_234)

            let (single, _) = try client.exchange(#"{"gateway":"gw-1","from":1234,"to":1234}"#)
            #expect(try seqs(of: single) == [1_234])
        }
    }

    @Test("a start older than the journal keeps is answered with a retention error naming the oldest seq")
    func retention() throws {
        // Segments of about 20 events, and room for about three of them.
        try serve(200, segmentBytes: 4_096, maxBytes: 12_000) { journal, _, client in
            #expect(waitUntil { journal.byteCount <= 12_000 })
            let oldest = journal.firstSeq
            #expect(oldest > 1)
            let (batches, error) = try client.exchange(#"{"id":"r","gateway":"gw-1","from":1,"to":150}"#)
            #expect(batches.isEmpty)
            #expect(error.kind == "error")
            #expect(error.header.code == "retention")
            #expect(error.header.oldest == oldest)
            #expect(error.header.lastSeq == 200)
            #expect(error.header.id == .string("r"))
            #expect(error.header.message == "events before seq \(oldest) are no longer kept (oldest: \(oldest))")

            let (kept, end) = try client.exchange(#"{"gateway":"gw-1","from":\#(oldest)}"#)
            #expect(try seqs(of: kept) == Array(oldest...200))
            #expect(end.kind == "end")
        }
    }

    @Test("requests for another gateway, or malformed ones, get an error naming the problem", arguments: [
        (#"{"gateway":"gw-2","from":1}"#, "unknownGateway"),
        (#"not json"#, "badRequest"),
        (#"{"gateway":"gw-1"}"#, "badRequest"),
        (#"{"gateway":"gw-1","from":0}"#, "badRequest"),
        (#"{"op":"dance","gateway":"gw-1","from":1}"#, "badRequest"),
    ])
    func refused(request: String, code: String) throws {
        try serve(5) { _, server, client in
            let (batches, answer) = try client.exchange(request)
            #expect(batches.isEmpty)
            #expect(answer.kind == "error")
            #expect(answer.header.code == code)
            #expect(answer.header.message?.isEmpty == false)
            #expect(server.statistics.errors == 1)
        }
    }

    @Test("a REQ-style empty delimiter is mirrored in every answer")
    func delimiter() throws {
        try serve(600) { _, server, _ in
            let client = try RawReplayClient(server.endpoint, delimiter: true)
            defer { client.close() }
            let (batches, end) = try client.exchange(#"{"gateway":"gw-1","from":1}"#)
            #expect(try seqs(of: batches) == Array(1...600))
            #expect(end.kind == "end")
        }
    }

    @Test("a peer that stops reading a huge replay holds up neither other peers nor the journal")
    func slowPeer() throws {
        try serve(20_000) { journal, server, _ in
            let slow = try RawReplayClient(server.endpoint, receiveHighWaterMark: 1)
            defer { slow.close() }
            try slow.send(#"{"gateway":"gw-1","from":1}"#)
            // The slow peer reads one batch, so its replay is known to be under way, and then nothing for a while.
            #expect(try slow.next().kind == "batch")
            let quick = try RawReplayClient(server.endpoint)
            defer { quick.close() }
            let (batches, end) = try quick.exchange(#"{"gateway":"gw-1","from":19990}"#)
            #expect(try seqs(of: batches) == Array(19_990...20_000))
            #expect(end.kind == "end")
            // Appends go on while a replay is open; the replay ends where the journal was when it began.
            try fill(journal, 20_001...20_100)
            try journal.flush()

            var received = 500
            while true {
                let answer = try slow.next()
                if answer.kind == "end" {
                    #expect(answer.header.count == 20_000)
                    #expect(answer.header.to == 20_000)
                    break
                }
                received += answer.bodies.count
            }
            #expect(received == 20_000)
        }
    }

    @Test("stop ends the thread and frees the endpoint")
    func stopFreesEndpoint() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let journal = try Journal.open(directory: directory, logger: quietLogger)
        defer { journal.close() }
        let server = try makeReplayServer(journal: journal)
        server.stop()
        server.stop()
        // ZeroMQ releases the port on its I/O thread, a moment after close returns.
        var again: ReplayServer?
        #expect(waitUntil {
            again = try? ReplayServer(endpoint: server.endpoint, journal: journal, gateway: "gw-1", logger: quietLogger)
            return again != nil
        })
        again?.stop()
        let unsafe = #expect(throws: BusError.self) {
            try ReplayServer(endpoint: "tcp://0.0.0.0:5557", journal: journal, gateway: "gw-1", logger: quietLogger)
        }
        #expect(unsafe?.code == .config)
        #expect(unsafe?.message.hasPrefix("bus.replay:") == true)
    }
}
