import Foundation
import GatewayCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The POS listener's HTTP routes: `POST <path>` per source, the intake routes, `GET /healthz`.
///
/// Answers are JSON: 200 `{"accepted":N,"duplicated":N,"rejected":N,"ignored":N,"errors":[…]}` when
/// the document was parsed; 400, 401, 413 or 503 `{"error":"…"}` when it was refused as a whole.
public enum POSListener {
    /// The router serving `sources`; throws when two sources claim one path.
    /// - Throws: `ConfigError` naming the second source's `options.path`.
    public static func router(sources: [POSSource], ingestor: POSIngestor, maxBodyBytes: Int,
                              sourcePaths: [String: String] = [:], routes: [IntakeRoute] = [],
                              logger: Logger = Logger(label: "pos-listener", factory: { _ in SwiftLogNoOpLogHandler() }))
        throws -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        try checkPaths(sources: sources, sourcePaths: sourcePaths, routes: routes)
        for route in routes {
            router.post(RouterPath(route.path)) { request, _ in
                await handle(request, route: route, maxBodyBytes: maxBodyBytes, logger: logger)
            }
        }
        for source in sources {
            guard let path = source.options.path else { continue }
            router.post(RouterPath(path)) { request, context in
                await handle(request, context: context, source: source, ingestor: ingestor, maxBodyBytes: maxBodyBytes)
            }
        }
        return router
    }

    /// Fails when two sources, or a source and an intake route, claim one path.
    /// - Throws: `ConfigError` naming the source's `options.path` (its key path from `sourcePaths`).
    public static func checkPaths(sources: [POSSource], sourcePaths: [String: String], routes: [IntakeRoute] = []) throws {
        var owners: [String: String] = [:]
        for route in routes { owners[route.path] = route.name }
        for source in sources {
            guard let path = source.options.path else { continue }
            if let owner = owners[path] {
                let keyPath = sourcePaths[source.name].map { "\($0).options.path" } ?? "\(source.name).options.path"
                throw ConfigError(.invalidValue, at: keyPath, "'\(path)' is already served for \(owner): give one of them its own path")
            }
            owners[path] = "source '\(source.name)'"
        }
    }

    /// The application serving the router on `address`.
    ///
    /// A connection that sends nothing for `readTimeout`, before its first request or in the middle of
    /// one (a client trickling its body), is closed: it would otherwise hold a connection for ever.
    public static func application(router: Router<BasicRequestContext>, address: BindAddress, readTimeout: Duration = POSListenerConfig().readTimeout,
                                   logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
        -> some ApplicationProtocol {
        Application(router: router, server: .http1(configuration: .init(idleTimeout: TimeAmount(readTimeout))),
                    configuration: .init(address: address, serverName: nil), onServerRunning: onServerRunning, logger: logger)
    }

    static func handle(_ request: Request, context: BasicRequestContext, source: POSSource, ingestor: POSIngestor,
                       maxBodyBytes: Int) async -> Response {
        let origin = "HTTP POST \(request.uri.path)"
        let body: ByteBuffer
        switch await accept(request, token: source.format.usesBearerToken ? source.options.token : nil, maxBodyBytes: maxBodyBytes) {
        case .success(let accepted): body = accepted
        case .failure(let refusal):
            ingestor.refused(refusal, for: source, origin: origin)
            return failure(refusal)
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        do {
            let outcome = try await ingestor.ingest(POSRequest(headers: headers, body: Array(buffer: body)), for: source, origin: origin)
            return json(.ok, outcome)
        } catch {
            return failure(error)
        }
    }

    static func handle(_ request: Request, route: IntakeRoute, maxBodyBytes: Int, logger: Logger) async -> Response {
        switch await accept(request, token: route.token, maxBodyBytes: maxBodyBytes) {
        case .success(let body):
            return response(await route.handle(Array(buffer: body)))
        case .failure(let refusal):
            logger.warning("HTTP POST \(request.uri.path) refused: \(refusal.message)")
            return failure(refusal)
        }
    }

    /// Checks the bearer token (when one is required) and the size, and collects the body.
    static func accept(_ request: Request, token: String?, maxBodyBytes: Int) async -> Result<ByteBuffer, POSIngestError> {
        if let token {
            let presented = request.headers[.authorization].flatMap { value -> String? in
                value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
            }
            guard let presented, constantTimeEqual(presented, token) else {
                return .failure(POSIngestError(.unauthorized, presented == nil ? "missing bearer token (Authorization: Bearer …)" : "wrong bearer token"))
            }
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            return .failure(POSIngestError(.tooLarge, "body of \(length) bytes exceeds pos.maxBodyBytes (\(maxBodyBytes))"))
        }
        var request = request
        do {
            return .success(try await request.collectBody(upTo: maxBodyBytes))
        } catch {
            return .failure(error is NIOTooManyBytesError
                ? POSIngestError(.tooLarge, "body exceeds pos.maxBodyBytes (\(maxBodyBytes))")
                : POSIngestError(.malformed, "cannot read the request body: \(error)"))
        }
    }

    /// Compares without returning early, so response timing does not reveal how much of a token matched.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: x.count ^ y.count)
        var lengthDiffers = x.count != y.count
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        lengthDiffers = lengthDiffers || difference != 0
        return !lengthDiffers
    }

    static func failure(_ error: POSIngestError) -> Response {
        struct Body: Encodable { var error: String; var code: String }
        return json(HTTPResponse.Status(code: error.httpStatus), Body(error: error.message, code: error.code.name))
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        response(IntakeReply(status: status.code, value))
    }

    static func response(_ reply: IntakeReply) -> Response {
        Response(status: HTTPResponse.Status(code: reply.status), headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
}

/// A route the POS listener serves for another part of the gateway, such as the `customer.consent`
/// input: the listener checks the bearer token and the body size, the handler does the rest.
public struct IntakeRoute: Sendable {
    /// What it is, for messages (`the customer.consent input`).
    public var name: String
    /// The HTTP path it is served at (`POST`).
    public var path: String
    /// The bearer token it requires; `nil` accepts requests without one.
    public var token: String?
    /// Handles a body that passed the checks.
    public var handle: @Sendable (_ body: [UInt8]) async -> IntakeReply

    /// Creates a route.
    public init(name: String, path: String, token: String?, handle: @escaping @Sendable (_ body: [UInt8]) async -> IntakeReply) {
        self.name = name
        self.path = path
        self.token = token
        self.handle = handle
    }
}

/// An intake route's answer: an HTTP status and a JSON body.
public struct IntakeReply: Sendable {
    /// The HTTP status.
    public var status: Int
    /// The JSON body.
    public var body: [UInt8]

    /// Encodes `value` as the JSON body (keys sorted).
    public init(status: Int, _ value: some Encodable) {
        self.status = status
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        body = (try? encoder.encode(value)).map(Array.init) ?? Array("{}".utf8)
    }
}
