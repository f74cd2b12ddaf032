import Foundation
import GatewayCore
import Logging
import Testing

@testable import Bus

/// The event with `seq` of `gateway`, as the publisher would encode it.
func testEvent(_ seq: UInt64, gateway: String = "gw-1", payload: EventPayload? = nil) -> GatewayEvent {
    GatewayEvent(seq: seq, gateway: gateway, store: "store-1", ts: fixedTime, payload: payload ?? statusPayload(Int(seq)))
}

/// Appends the encoded events `seqs` of `gateway` to `journal`.
func fill(_ journal: Journal, gateway: String = "gw-1", _ seqs: ClosedRange<UInt64>, payload: ((UInt64) -> EventPayload)? = nil) throws {
    let codec = EventCodec()
    for seq in seqs {
        try journal.append(seq: seq, payload: try codec.encode(testEvent(seq, gateway: gateway, payload: payload?(seq))).body)
    }
}

/// A replay server on a fresh loopback port.
func makeReplayServer(journal: Journal, gateway: String = "gw-1", logger: Logger = quietLogger) throws -> ReplayServer {
    let server = try withFreeEndpoint { try ReplayServer(endpoint: $0, journal: journal, gateway: gateway, logger: logger) }
    server.start()
    return server
}

/// A PUB socket on a fresh loopback port that tests drive by hand, as a gateway would.
final class RawPublisher {
    let socket: ZMQSocket
    let endpoint: String
    private let codec = EventCodec()

    init() throws {
        (socket, endpoint) = try withFreeEndpoint { endpoint -> (ZMQSocket, String) in
            let socket = try ZMQSocket(.pub)
            do {
                try socket.bind(endpoint)
            } catch {
                socket.close()
                throw error
            }
            return (socket, endpoint)
        }
    }

    func send(_ event: GatewayEvent) throws {
        let (topic, body) = try codec.encode(event)
        try #require(try socket.send([Array(topic.utf8), body], dontWait: false))
    }

    func close() { socket.close() }
}

/// A gateway on loopback: an event publisher with its journal, and a replay server for it.
final class TestGateway {
    let id: String
    let directory: String
    let publisher: EventPublisher
    let replay: ReplayServer

    init(id: String, sendHighWaterMark: Int = 100_000, logger: Logger = quietLogger) throws {
        self.id = id
        directory = try makeTemporaryDirectory()
        var configuration = BusConfig()
        configuration.sendHighWaterMark = sendHighWaterMark
        configuration.journal.groupCommit = .milliseconds(2)
        let directory = directory
        publisher = try withFreeEndpoint { endpoint in
            configuration.publish = endpoint
            return try EventPublisher(configuration: configuration, gateway: id, store: "store-1", journalDirectory: directory, logger: logger)
        }
        replay = try makeReplayServer(journal: try #require(publisher.journal), gateway: id, logger: logger)
    }

    var source: BusSource { BusSource(bus: publisher.endpoint, replay: replay.endpoint) }

    var lastSeq: UInt64 { publisher.statistics.lastSeq }

    func emit(_ count: Int, padding: String? = nil) {
        for index in 0..<count { publisher.emit(statusPayload(index, message: padding), at: fixedTime) }
        publisher.flush()
    }

    func close() {
        replay.stop()
        publisher.close()
        removeTemporaryDirectory(directory)
    }
}

/// Receives until `done` holds for everything received so far, or `timeout` passes.
func receive(from subscriber: some EventReceiver, timeout: Duration = .seconds(30), until done: ([GatewayEvent]) -> Bool) throws -> [GatewayEvent] {
    var events: [GatewayEvent] = []
    let deadline = ContinuousClock.now + timeout
    while !done(events), ContinuousClock.now < deadline {
        events += try subscriber.receive(maxBatch: 1_000, timeout: .milliseconds(50))
    }
    return events
}

/// A replay client that speaks the protocol by hand, as a client in another language would.
final class RawReplayClient {
    /// Every field any answer header has.
    struct Header: Decodable, Equatable {
        var id: ReplayProtocol.RequestID?
        var gateway: String?
        var from: UInt64?
        var to: UInt64?
        var count: Int?
        var lastSeq: UInt64?
        var firstSeq: UInt64?
        var code: String?
        var message: String?
        var oldest: UInt64?
    }

    struct Answer {
        var kind: String
        var header: Header
        var bodies: [[UInt8]]
    }

    let socket: ZMQSocket
    private let delimiter: Bool

    /// - Parameter delimiter: whether to send an empty frame before the request, as a REQ socket would.
    init(_ endpoint: String, delimiter: Bool = false, receiveHighWaterMark: Int32 = 1_000) throws {
        socket = try ZMQSocket(.dealer)
        try socket.setOption(ZMQOption.receiveHighWaterMark, receiveHighWaterMark)
        try socket.connect(endpoint)
        self.delimiter = delimiter
    }

    func send(_ json: String) throws {
        try socket.send((delimiter ? [[]] : []) + [Array(json.utf8)], dontWait: false)
    }

    func next(timeout: Duration = .seconds(10)) throws -> Answer {
        let frames = try #require(try socket.receive(timeout: timeout), "no answer within \(timeout)")
        let rest = delimiter ? Array(frames.dropFirst()) : frames
        if delimiter { #expect(frames.first == [], "the answer mirrors the empty delimiter") }
        try #require(rest.count >= 2)
        let header = try JSONDecoder().decode(Header.self, from: Data(rest[1]))
        return Answer(kind: String(decoding: rest[0], as: UTF8.self), header: header, bodies: Array(rest.dropFirst(2)))
    }

    /// Sends `json` and collects the answers up to the end or error.
    func exchange(_ json: String) throws -> (batches: [Answer], last: Answer) {
        try send(json)
        var batches: [Answer] = []
        while true {
            let answer = try next()
            guard answer.kind == "batch" else { return (batches, answer) }
            batches.append(answer)
        }
    }

    func close() { socket.close() }
}

/// The seqs in replayed bodies, decoded.
func seqs(of batches: [RawReplayClient.Answer]) throws -> [UInt64] {
    let codec = EventCodec()
    return try batches.flatMap { try $0.bodies.map { try codec.decode(body: $0).seq } }
}
