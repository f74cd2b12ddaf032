import Dashboard
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct RouteTests {
    static let pages = DashboardRoutes.pages

    @Test func everyTabOfTheAppIsAListedPage() async throws {
        let core = makeCore()
        try await makeApp(core).test(.router) { client in
            let cookie = try #require(try await signIn(client))
            let html = String(buffer: try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie]).body)
            let tabs = html.matches(of: /<button data-tab="([a-z]+)"/).map { "/" + String($0.1) }
            // A tab added to the page without a route (or a route without a tab) fails here, so the
            // signed-out test below covers every page there is.
            #expect(tabs.count == 6)
            #expect(["/"] + tabs == Self.pages)
        }
    }

    @Test func signedOutRequestsAreRefused() async throws {
        let core = makeCore()
        try await makeApp(core).test(.router) { client in
            #expect(Self.pages.count == 7)
            for page in Self.pages {
                let response = try await client.execute(uri: page, method: .get)
                #expect(response.status == .seeOther, "\(page)")
                #expect(response.headers[.location] == "/login", "\(page)")
                #expect(response.body.readableBytes == 0, "\(page) must not leak content")
            }
            #expect(try await client.execute(uri: "/api/state", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/ws", method: .get).status == .unauthorized)
            // Signing out without a session just shows the sign-in form.
            let logout = try await client.execute(uri: "/logout", method: .post)
            #expect(logout.headers[.location] == "/login")
            // A made-up or expired session is no session.
            let forged = try await client.execute(uri: "/", method: .get, headers: [.cookie: "gw_session=0123456789abcdef"])
            #expect(forged.status == .seeOther)
        }
    }

    @Test func healthAndMetricsNeedNoSignIn() async throws {
        let core = makeCore()
        core.aggregator.apply([Events.status(1, .connected)])
        try await makeApp(core).test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(String(buffer: health.body) == "ok\n")
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            let text = String(buffer: metrics.body)
            #expect(text.contains("# TYPE gateway_source_up gauge"))
            #expect(text.contains(#"gateway_source_up{source="door",gateway="gw-1"} 1"#))
        }
    }

    @Test func signInSetsAStrictHttpOnlyCookieAndSignOutEndsIt() async throws {
        let core = makeCore()
        try await makeApp(core).test(.router) { client in
            let login = try await client.execute(uri: "/login", method: .get)
            #expect(login.status == .ok)
            #expect(String(buffer: login.body).contains(#"action="/login""#))

            let wrong = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                 body: ByteBuffer(string: "username=anna&password=nope"))
            #expect(wrong.status == .seeOther)
            #expect(wrong.headers[.location] == "/login?error=invalid")
            #expect(wrong.headers[.setCookie] == nil)

            let response = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                    body: ByteBuffer(string: "username=anna&password=correct+horse"))
            #expect(response.headers[.location] == "/")
            let setCookie = try #require(response.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Strict"))
            #expect(setCookie.contains("Path=/"))
            let cookie = String(setCookie.split(separator: ";")[0])
            #expect(cookie.count == "gw_session=".count + 64)  // 256 bits in hex

            for page in Self.pages {
                let page = try await client.execute(uri: page, method: .get, headers: [.cookie: cookie])
                #expect(page.status == .ok)
                #expect(String(buffer: page.body).contains("Store dashboard"))
                #expect(page.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            }
            let state = try await client.execute(uri: "/api/state", method: .get, headers: [.cookie: cookie])
            let decoded = try JSONDecoder().decode(DashboardState.self, from: Data(buffer: state.body))
            #expect(decoded.zones.map(\.name) == ["entrance", "floor"])

            let logout = try await client.execute(uri: "/logout", method: .post, headers: [.cookie: cookie])
            #expect(logout.headers[.location] == "/login")
            #expect(try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie]).status == .seeOther)
        }
    }

    @Test func repeatedFailuresLockTheName() async throws {
        let core = makeCore()
        try await makeApp(core).test(.router) { client in
            for _ in 0..<5 { _ = try await signIn(client, password: "guess") }
            let locked = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "username=anna&password=correct+horse"))
            #expect(locked.headers[.location] == "/login?error=locked")
            #expect(locked.headers[.setCookie] == nil)
        }
    }
}
