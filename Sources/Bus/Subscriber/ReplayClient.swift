import Foundation

/// The client side of the replay protocol for one replay endpoint: a DEALER socket and at most
/// one request in flight. ``RecoveringSubscriber`` owns one per source and decides what to ask;
/// this type only speaks the protocol and keeps the time.
final class ReplayClient {
    /// Queued answers per client: with the server's own queue this bounds a replay's memory to a few batches.
    private static let receiveHighWaterMark: Int32 = 8

    /// What a request asks for.
    enum Ask: Equatable {
        case info
        case replay(gateway: String, from: UInt64, to: UInt64?)
    }

    /// A request awaiting its answers.
    struct Request {
        var id: ReplayProtocol.RequestID
        var ask: Ask
        /// When the request counts as unanswered if nothing more has arrived.
        var deadline: ContinuousClock.Instant
    }

    /// One decoded answer.
    enum Answer {
        case info(ReplayProtocol.InfoHeader)
        case batch(ReplayProtocol.BatchHeader, bodies: ArraySlice<[UInt8]>)
        case end(ReplayProtocol.EndHeader)
        case error(ReplayProtocol.ErrorHeader)
        /// A message that is not a well-formed answer.
        case malformed(String)
    }

    let source: BusSource
    /// The gateway the endpoint serves, learned from its `info` answer.
    var gateway: String?
    private(set) var request: Request?
    /// When an `info` may be sent again after the last round failed.
    var nextInfoAt: ContinuousClock.Instant = .now
    /// Failed `info` requests in the current round.
    var infoFailures = 0
    /// Whether the endpoint was reported as not answering, so the report is made once per outage.
    var reportedDown = false

    private(set) var socket: ZMQSocket
    private let timeout: Duration
    private let curve: BusCurveClient?
    private var nextRequest: Int64 = 1
    private let decoder = JSONDecoder()

    init(source: BusSource, timeout: Duration, curve: BusCurveClient? = nil) throws(BusError) {
        self.source = source
        self.timeout = timeout
        self.curve = curve
        socket = try Self.connect(source.replay, curve: curve)
    }

    private static func connect(_ endpoint: String, curve: BusCurveClient?) throws(BusError) -> ZMQSocket {
        let socket = try ZMQSocket(.dealer)
        do {
            if let curve { try socket.makeCurveClient(curve) }
            try socket.setOption(ZMQOption.receiveHighWaterMark, receiveHighWaterMark)
            try socket.setOption(ZMQOption.linger, 0)
            if endpoint.hasPrefix("tcp://[") { try socket.setOption(ZMQOption.ipv6, 1) }
            try socket.connect(endpoint)
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Whether the client can take a new request.
    var isIdle: Bool { request == nil }

    /// Sends a request. A server that is down gets it when it comes up, if that is before the deadline.
    func send(_ ask: Ask) throws(BusError) {
        let id = ReplayProtocol.RequestID.number(nextRequest)
        nextRequest += 1
        let body: ReplayProtocol.Request
        switch ask {
        case .info:
            body = ReplayProtocol.Request(op: "info", id: id)
        case .replay(let gateway, let from, let to):
            body = ReplayProtocol.Request(op: "replay", id: id, gateway: gateway, from: from, to: to)
        }
        // The pipe to a connecting peer accepts a request even before the connection is up; refusal means a full queue.
        guard try socket.send([ReplayProtocol.encode(body)]) else {
            throw BusError(.send, "the replay request queue to \(source.replay) is full")
        }
        request = Request(id: id, ask: ask, deadline: .now + timeout)
    }

    /// The next answer to the request in flight, if one is waiting; answers to earlier requests are skipped.
    func nextAnswer() throws(BusError) -> Answer? {
        guard let current = request else { return nil }
        while let frames = try socket.receiveNow() {
            let answer = decode(frames)
            if let id = answerID(answer), id != current.id { continue }
            request?.deadline = .now + timeout
            return answer
        }
        return nil
    }

    /// Ends the request in flight after its last answer.
    func finish() {
        request = nil
    }

    /// Abandons the request in flight and reconnects, so nothing more of its answers arrives.
    func abandon() {
        request = nil
        socket.close()
        // A socket that cannot be recreated (file descriptors exhausted) is retried on the next abandon.
        if let fresh = try? Self.connect(source.replay, curve: curve) { socket = fresh }
    }

    /// Whether the request in flight has had no answer for longer than the timeout.
    func isOverdue(at now: ContinuousClock.Instant) -> Bool {
        request.map { now >= $0.deadline } ?? false
    }

    func close() {
        request = nil
        socket.close()
    }

    private func answerID(_ answer: Answer) -> ReplayProtocol.RequestID? {
        switch answer {
        case .info(let header): header.id
        case .batch(let header, _): header.id
        case .end(let header): header.id
        case .error(let header): header.id
        case .malformed: nil
        }
    }

    private func decode(_ frames: [[UInt8]]) -> Answer {
        guard frames.count >= 2, let kind = ReplayProtocol.Kind(rawValue: String(decoding: frames[0], as: UTF8.self)) else {
            return .malformed("expected a kind frame (batch, end, error, info) and a header")
        }
        let header = Data(frames[1])
        do {
            switch kind {
            case .info: return .info(try decoder.decode(ReplayProtocol.InfoHeader.self, from: header))
            case .batch: return .batch(try decoder.decode(ReplayProtocol.BatchHeader.self, from: header), bodies: frames[2...])
            case .end: return .end(try decoder.decode(ReplayProtocol.EndHeader.self, from: header))
            case .error: return .error(try decoder.decode(ReplayProtocol.ErrorHeader.self, from: header))
            }
        } catch {
            return .malformed("a \(kind.rawValue) header that does not decode: \(error)")
        }
    }
}
