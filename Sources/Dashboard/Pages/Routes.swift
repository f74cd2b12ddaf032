import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The dashboard's HTTP and WebSocket routes.
///
/// Every page, `/api/state` and the WebSocket need a session; `/login`, `/healthz` and `/metrics`
/// do not (the last two are for monitoring, and say nothing about customers).
public enum DashboardRoutes {
    /// Every page a browser can open, each needing a session: the app and one address per tab.
    public static let pages: [String] = ["/"] + AppPage.tabs.map { "/\($0)" }

    /// The WebSocket close code sent when the session that opened the feed ends (sign-out or
    /// lapse): in the private range, 4401 after HTTP's 401, so the page goes to the sign-in form
    /// instead of reconnecting.
    public static let sessionEndedCloseCode: UInt16 = 4401

    /// How long a connection may send nothing within a page request before it is closed.
    public static let readTimeout: Duration = .seconds(30)

    /// The application serving `core` on `address`.
    public static func application(core: DashboardCore, address: BindAddress,
                                   onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
        -> some ApplicationProtocol {
        // A page request that stops sending mid-way is cut off after `readTimeout`; the live feed, once
        // upgraded to a WebSocket, is not subject to it.
        Application(router: httpRouter(core: core),
                    server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter(core: core),
                                                   configuration: .init(http1: .init(idleTimeout: TimeAmount(readTimeout)))),
                    configuration: .init(address: address, serverName: nil), onServerRunning: onServerRunning, logger: core.logger)
    }

    /// Pages, sign-in and the monitoring endpoints.
    public static func httpRouter(core: DashboardCore) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware())

        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/metrics") { _, _ in
            core.metrics.record(state: core.aggregator.state, sample: nil)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: core.metrics.render())))
        }

        router.get("/login") { request, _ in
            if core.sessions.user(for: sessionID(request)) != nil { return Response.redirect(to: "/") }
            let failed = request.uri.queryParameters.get("error")
            return html(LoginPage.render(error: failed.map(LoginPage.message(for:))))
        }
        router.post("/login") { request, context in
            var request = request
            let body = try await request.collectBody(upTo: 16 * 1024)
            let form = (try? URLEncodedFormDecoder().decode(LoginForm.self, from: String(buffer: body))) ?? LoginForm(username: "", password: "")
            let keys = ["user:" + form.username.lowercased(), "all"]
            if core.limiter.isLocked(["user:" + form.username.lowercased()]) {
                return Response.redirect(to: "/login?error=locked")
            }
            // bcrypt is deliberately slow: keep it off the event loop threads.
            let ok = await Task.detached { core.directory.verify(name: form.username, password: form.password) }.value
            guard ok else {
                core.limiter.recordFailure(keys)
                context.logger.notice("dashboard: failed sign-in", metadata: ["user": "\(form.username)"])
                return Response.redirect(to: "/login?error=invalid")
            }
            core.limiter.recordSuccess(["user:" + form.username.lowercased()])
            let id = core.sessions.create(user: form.username)
            var response = Response.redirect(to: "/")
            response.setCookie(Cookie(name: SessionStore.cookieName, value: id, path: "/", httpOnly: true, sameSite: .strict))
            context.logger.info("dashboard: \(form.username) signed in")
            return response
        }
        router.post("/logout") { request, _ in
            core.sessions.remove(sessionID(request))
            var response = Response.redirect(to: "/login")
            response.setCookie(Cookie(name: SessionStore.cookieName, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }

        // Everything below needs a session.
        for page in pages {
            let tab = page == "/" ? "alerts" : String(page.dropFirst())
            router.get(RouterPath(page)) { request, _ in
                guard let user = core.sessions.user(for: sessionID(request)) else { return Response.redirect(to: "/login") }
                return html(AppPage.render(user: user, tab: tab))
            }
        }
        router.get("/api/state") { request, _ in
            guard core.sessions.user(for: sessionID(request)) != nil else { return unauthorized() }
            let data = try JSONEncoder().encode(core.aggregator.state)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        // Reached only when the WebSocket upgrade was refused or not asked for.
        router.get("/ws") { request, _ in
            guard core.sessions.user(for: sessionID(request)) != nil else { return unauthorized() }
            return Response(status: .badRequest, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "a WebSocket upgrade is required\n")))
        }
        return router
    }

    /// The live feed: `/ws?after=SEQ&epoch=E` resumes after the last message a browser saw.
    public static func webSocketRouter(core: DashboardCore) -> Router<BasicWebSocketRequestContext> {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("/ws") { request, _ in
            guard core.sessions.user(for: sessionID(request)) != nil, sameOrigin(request) else { return .dontUpgrade }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            // The session may have ended between the upgrade check and here.
            guard let session = sessionID(context.request), let user = core.sessions.user(for: session) else {
                try await outbound.close(.unknown(sessionEndedCloseCode), reason: "sign in first")
                return
            }
            let query = context.request.uri.queryParameters
            let connection = core.aggregator.connect(resumeAfter: query.get("after", as: UInt64.self), epoch: query.get("epoch"))
            defer { core.aggregator.disconnect(connection.id) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for text in connection.initial { try await outbound.write(.text(text)) }
                    for await text in connection.stream { try await outbound.write(.text(text)) }
                }
                group.addTask {
                    for try await message in inbound.messages(maxSize: 4_096) {
                        guard case .text(let text) = message, let command = try? JSONDecoder().decode(BrowserCommand.self, from: Data(text.utf8))
                        else { continue }
                        // A command (an acknowledgement) is someone at the screen: it renews the session, as a page load does.
                        guard core.sessions.user(for: session) != nil else { continue }
                        if command.type == "ack", let id = command.id { core.aggregator.acknowledge(alert: id, by: user) }
                    }
                }
                // The feed lasts no longer than the sign-in: signed out (here or in another tab) or lapsed, it closes.
                group.addTask {
                    await core.sessions.waitUntilEnded(session)
                    guard !Task.isCancelled else { return }
                    context.logger.info("dashboard: closing the live feed of \(user), whose session ended")
                    try await outbound.close(.unknown(sessionEndedCloseCode), reason: "session ended")
                }
                // Whichever ends first (the browser left, the session ended, the dashboard is stopping) ends all.
                _ = try await group.next()
                group.cancelAll()
            }
        }
        return router
    }

    static func sessionID(_ request: Request) -> String? { request.cookies[SessionStore.cookieName]?.value }

    /// A browser's WebSocket must come from a page of this dashboard: the Origin's host is the Host.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }  // not a browser
        guard let authority = request.head.authority, let scheme = origin.range(of: "://") else { return false }
        // Host names must match; ports and schemes are left aside, as some clients send `ws://host` without the port.
        return hostName(String(origin[scheme.upperBound...])) == hostName(authority)
    }

    /// `host` of `host:port` or `[v6]:port`, lowercased.
    static func hostName(_ authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") { return String(authority[...close]).lowercased() }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "").lowercased()
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func unauthorized() -> Response {
        Response(status: .unauthorized, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "sign in first\n")))
    }
}

/// The sign-in form.
struct LoginForm: Decodable {
    var username: String
    var password: String
}

/// What a browser sends on the WebSocket: `{"type":"ack","id":"gw-1/42"}`.
struct BrowserCommand: Decodable {
    var type: String
    var id: String?
}

/// Headers every response carries: no framing, no caching of customer data, scripts only from here.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.cacheControl] = "no-store"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }
}
