import Foundation
import GatewayCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The POS listener's HTTP routes: `POST <path>` per source, `GET /healthz`.
///
/// Answers are JSON: 200 `{"accepted":N,"duplicated":N,"rejected":N,"ignored":N,"errors":[…]}` when
/// the document was parsed; 400, 401, 413 or 503 `{"error":"…"}` when it was refused as a whole.
public enum POSListener {
    /// The router serving `sources`; throws when two sources claim one path.
    /// - Throws: `ConfigError` naming the second source's `options.path`.
    public static func router(sources: [POSSource], ingestor: POSIngestor, maxBodyBytes: Int,
                              sourcePaths: [String: String] = [:]) throws -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        try checkPaths(sources: sources, sourcePaths: sourcePaths)
        for source in sources {
            guard let path = source.options.path else { continue }
            router.post(RouterPath(path)) { request, context in
                await handle(request, context: context, source: source, ingestor: ingestor, maxBodyBytes: maxBodyBytes)
            }
        }
        return router
    }

    /// Fails when two sources claim one path.
    /// - Throws: `ConfigError` naming the second source's `options.path` (its key path from `sourcePaths`).
    public static func checkPaths(sources: [POSSource], sourcePaths: [String: String]) throws {
        var owners: [String: String] = [:]
        for source in sources {
            guard let path = source.options.path else { continue }
            if let owner = owners[path] {
                let keyPath = sourcePaths[source.name].map { "\($0).options.path" } ?? "\(source.name).options.path"
                throw ConfigError(.invalidValue, at: keyPath, "'\(path)' is already served for source '\(owner)': give one of them its own path")
            }
            owners[path] = source.name
        }
    }

    /// The application serving the router on `address`.
    public static func application(router: Router<BasicRequestContext>, address: BindAddress, logger: Logger,
                                   onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
        -> some ApplicationProtocol {
        Application(router: router, configuration: .init(address: address, serverName: nil), onServerRunning: onServerRunning, logger: logger)
    }

    static func handle(_ request: Request, context: BasicRequestContext, source: POSSource, ingestor: POSIngestor,
                       maxBodyBytes: Int) async -> Response {
        let origin = "HTTP POST \(request.uri.path)"
        if source.format.usesBearerToken, let token = source.options.token {
            let presented = request.headers[.authorization].flatMap { value -> String? in
                value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
            }
            guard let presented, constantTimeEqual(presented, token) else {
                let error = POSIngestError(.unauthorized, presented == nil ? "missing bearer token (Authorization: Bearer …)" : "wrong bearer token")
                ingestor.refused(error, for: source, origin: origin)
                return failure(error)
            }
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            let error = POSIngestError(.tooLarge, "body of \(length) bytes exceeds pos.maxBodyBytes (\(maxBodyBytes))")
            ingestor.refused(error, for: source, origin: origin)
            return failure(error)
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            let refusal = error is NIOTooManyBytesError
                ? POSIngestError(.tooLarge, "body exceeds pos.maxBodyBytes (\(maxBodyBytes))")
                : POSIngestError(.malformed, "cannot read the request body: \(error)")
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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
