import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A stand-in for Square's Orders API on 127.0.0.1 (a free port per run): `GET /v2/orders/{id}`
/// answers from a table, after checking the bearer token and the `Square-Version` header the way
/// Square refuses requests without them.
final class FakeOrdersAPI: Sendable {
    /// How an order id is answered.
    enum Reply: Sendable {
        /// 200 `{"order": <json>}`.
        case order(String)
        /// Any status and body, as given.
        case answer(Int, contentType: String, body: String)
        /// Nothing for this long, then a 500.
        case stall(Duration)
    }

    /// One request as the fake saw it.
    struct Seen: Sendable, Equatable {
        var path: String
        var authorization: String?
        var version: String?
    }

    let token: String
    private let state = Mutex<(replies: [String: Reply], outage: Reply?, seen: [Seen])>(([:], nil, []))

    init(token: String) { self.token = token }

    /// Answers `id` with `reply` from now on.
    func set(_ id: String, _ reply: Reply) { state.withLock { $0.replies[id] = reply } }
    /// Answers every request with `reply` (an outage) until cleared with `nil`.
    func outage(_ reply: Reply?) { state.withLock { $0.outage = reply } }
    /// The requests so far.
    var seen: [Seen] { state.withLock { $0.seen } }

    static func squareError(_ status: Int, category: String, code: String, detail: String) -> Reply {
        .answer(status, contentType: "application/json",
                body: #"{"errors":[{"category":"\#(category)","code":"\#(code)","detail":"\#(detail)"}]}"#)
    }

    private func answer(_ request: Request, id: String) async -> Response {
        let authorization = request.headers[.authorization]
        let version = HTTPField.Name("Square-Version").flatMap { request.headers[$0] }
        let (reply, outage) = state.withLock { state -> (Reply?, Reply?) in
            state.seen.append(Seen(path: request.uri.path, authorization: authorization, version: version))
            return (state.replies[id], state.outage)
        }
        let chosen: Reply
        if let outage {
            chosen = outage
        } else if authorization != "Bearer \(token)" {
            chosen = Self.squareError(401, category: "AUTHENTICATION_ERROR", code: "UNAUTHORIZED", detail: "This request could not be authorized.")
        } else if version == nil {
            chosen = Self.squareError(400, category: "INVALID_REQUEST_ERROR", code: "INVALID_VALUE", detail: "Square-Version missing")
        } else {
            chosen = reply ?? Self.squareError(404, category: "INVALID_REQUEST_ERROR", code: "NOT_FOUND", detail: "Could not find order \(id)")
        }
        switch chosen {
        case .order(let json):
            return Self.response(200, "application/json", #"{"order":\#(json)}"#)
        case .answer(let status, let contentType, let body):
            return Self.response(status, contentType, body)
        case .stall(let duration):
            try? await Task.sleep(for: duration)
            return Self.response(500, "application/json", "{}")
        }
    }

    private static func response(_ status: Int, _ contentType: String, _ body: String) -> Response {
        Response(status: HTTPResponse.Status(code: status), headers: [.contentType: contentType],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Runs the fake for the duration of `body`, which gets it and its base URL (`http://127.0.0.1:PORT`).
    static func run(token: String, _ body: @Sendable (FakeOrdersAPI, String) async throws -> Void) async throws {
        let api = FakeOrdersAPI(token: token)
        let router = Router(context: BasicRequestContext.self)
        router.get("/v2/orders/:id") { request, context in
            await api.answer(request, id: context.parameters.get("id") ?? "")
        }
        let (ports, port) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { port.yield($0.localAddress?.port ?? 0) },
                              logger: Logger(label: "fake-orders-api", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            guard let bound = await iterator.next(), bound > 0 else { throw CancellationError() }
            try await body(api, "http://127.0.0.1:\(bound)")
            group.cancelAll()
        }
    }
}
