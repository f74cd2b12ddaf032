import Dashboard
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import HummingbirdWebSocket
import NIOCore
import Testing
import WSClient

@Suite struct WebSocketTests {
    @Test func signedOutWebSocketsAreRefused() async throws {
        let core = makeCore()
        try await makeApp(core).test(.live) { client in
            await #expect(throws: (any Error).self) {
                try await client.ws("/ws") { _, _, _ in Issue.record("a signed-out browser got a WebSocket") }
            }
            var forged = WebSocketClientConfiguration()
            forged.additionalHeaders = [.cookie: "gw_session=feedfacefeedface"]
            await #expect(throws: (any Error).self) {
                try await client.ws("/ws", configuration: forged) { _, _, _ in Issue.record("a forged session got a WebSocket") }
            }
        }
        #expect(core.aggregator.clientCount == 0)
    }

    @Test func anotherSitesPageCannotOpenTheFeed() async throws {
        let core = makeCore()
        try await makeApp(core).test(.live) { client in
            let cookie = try #require(try await signIn(client))
            var configuration = WebSocketClientConfiguration()
            configuration.additionalHeaders = [.cookie: cookie, .origin: "http://evil.example"]
            await #expect(throws: (any Error).self) {
                try await client.ws("/ws", configuration: configuration) { _, _, _ in Issue.record("a cross-site page got the feed") }
            }
        }
    }

    @Test func aSignedInBrowserGetsASnapshotThenLivePatchesAndCanAcknowledge() async throws {
        let core = makeCore()
        core.aggregator.apply([Events.enter(1, .item)])
        try await makeApp(core).test(.live) { client in
            let cookie = try #require(try await signIn(client))
            var configuration = WebSocketClientConfiguration()
            configuration.additionalHeaders = [.cookie: cookie]
            try await client.ws("/ws", configuration: configuration) { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                guard case .text(let first) = try await messages.next() else { Issue.record("no snapshot"); return }
                let snapshot = try decodeMessage(first)
                #expect(snapshot.kind == "snapshot")
                #expect(snapshot.state?.zones.first { $0.name == "floor" }?.items == 1)

                core.aggregator.apply([Events.vip(2, name: "Ada")])
                guard case .text(let second) = try await messages.next() else { Issue.record("no patch"); return }
                let patch = try decodeMessage(second)
                #expect(patch.seq == snapshot.seq + 1)
                #expect(patch.patch?.newAlerts?.first?.firstName == "Ada")

                try await outbound.write(.text(#"{"type":"ack","id":"gw-1/2"}"#))
                guard case .text(let third) = try await messages.next() else { Issue.record("no ack patch"); return }
                let acked = try decodeMessage(third)
                #expect(acked.patch?.alerts?.first?.acknowledged == true)
                #expect(acked.patch?.alerts?.first?.acknowledgedBy == "anna")
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
        #expect(core.aggregator.clientCount == 0)
    }

    @Test func aReconnectingBrowserResumesWithWhatItMissed() async throws {
        let core = makeCore()
        core.aggregator.apply([Events.vip(1, name: "Ada")])
        let seen = core.aggregator.seq
        core.aggregator.apply([Events.vip(2, name: "Bo")])
        try await makeApp(core).test(.live) { client in
            let cookie = try #require(try await signIn(client))
            var configuration = WebSocketClientConfiguration()
            configuration.additionalHeaders = [.cookie: cookie]
            try await client.ws("/ws?after=\(seen)&epoch=\(core.aggregator.epoch)", configuration: configuration) { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                guard case .text(let first) = try await messages.next() else { Issue.record("nothing replayed"); return }
                let replayed = try decodeMessage(first)
                #expect(replayed.kind == "patch")
                #expect(replayed.seq == seen + 1)
                #expect(replayed.patch?.newAlerts?.map(\.firstName) == ["Bo"])
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    /// Whether a close frame carries the code the feed ends with when its session ends.
    static func sessionEnded(_ frame: WebSocketCloseFrame?) -> Bool {
        guard case .unknown(let code)? = frame?.closeCode else { return false }
        return code == DashboardRoutes.sessionEndedCloseCode
    }

    @Test(.timeLimit(.minutes(1))) func signingOutClosesThatSessionsOpenFeedAndNoOther() async throws {
        let core = makeCore()
        try await makeApp(core).test(.live) { client in
            let cookie = try #require(try await signIn(client))
            let other = try #require(try await signIn(client))
            var configuration = WebSocketClientConfiguration()
            configuration.additionalHeaders = [.cookie: cookie]
            let close = try await client.ws("/ws", configuration: configuration) { inbound, _, _ in
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                guard case .text = try await messages.next() else { Issue.record("no snapshot"); return }
                // Another sign-in ending leaves this feed open.
                _ = try await client.execute(uri: "/logout", method: .post, headers: [.cookie: other])
                core.aggregator.apply([Events.vip(1, name: "Ada")])
                guard case .text(let text) = try await messages.next() else { Issue.record("the feed closed with another session"); return }
                #expect(try decodeMessage(text).patch?.newAlerts?.first?.firstName == "Ada")

                // Its own session signed out (say, in another tab): the server closes the feed.
                let signedOut = ContinuousClock.now
                _ = try await client.execute(uri: "/logout", method: .post, headers: [.cookie: cookie])
                while let message = try await messages.next() { Issue.record("a message after sign-out: \(message)") }
                #expect(ContinuousClock.now - signedOut < .seconds(5))
            }
            #expect(Self.sessionEnded(close), "\(String(describing: close))")
            // And the browser's reconnect is refused.
            await #expect(throws: (any Error).self) {
                try await client.ws("/ws", configuration: configuration) { _, _, _ in Issue.record("a signed-out session got a WebSocket again") }
            }
        }
        #expect(core.aggregator.clientCount == 0)
    }

    @Test(.timeLimit(.minutes(1))) func aLapsedSessionClosesItsFeed() async throws {
        let core = makeCore(ttl: .seconds(1))
        try await makeApp(core).test(.live) { client in
            let cookie = try #require(try await signIn(client))
            var configuration = WebSocketClientConfiguration()
            configuration.additionalHeaders = [.cookie: cookie]
            let opened = ContinuousClock.now
            let close = try await client.ws("/ws", configuration: configuration) { inbound, _, _ in
                // The snapshot, then nothing renews the session: the feed must close by itself.
                var count = 0
                for try await _ in inbound.messages(maxSize: 1 << 20) { count += 1 }
                #expect(count == 1)
            }
            let lasted = ContinuousClock.now - opened
            #expect(Self.sessionEnded(close), "\(String(describing: close))")
            #expect(lasted >= .seconds(1), "closed before the session lapsed")
            #expect(lasted < .seconds(10))
            #expect(try await client.execute(uri: "/api/state", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
        }
    }

    @Test(.timeLimit(.minutes(1))) func someoneAcknowledgingKeepsTheSessionAlive() async throws {
        let core = makeCore(ttl: .seconds(1))
        try await makeApp(core).test(.live) { client in
            let cookie = try #require(try await signIn(client))
            var configuration = WebSocketClientConfiguration()
            configuration.additionalHeaders = [.cookie: cookie]
            let close = try await client.ws("/ws", configuration: configuration) { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                guard case .text = try await messages.next() else { Issue.record("no snapshot"); return }
                // Staff at the screen for 2.5 s, more than twice the TTL: each acknowledgement renews the sign-in.
                let until = ContinuousClock.now + .milliseconds(2_500)
                while ContinuousClock.now < until {
                    try await outbound.write(.text(#"{"type":"ack","id":"gw-1/0"}"#))
                    try await Task.sleep(for: .milliseconds(200))
                }
                core.aggregator.apply([Events.vip(1, name: "Ada")])
                guard case .text(let text) = try await messages.next() else { Issue.record("the feed closed although in use"); return }
                #expect(try decodeMessage(text).patch?.newAlerts?.first?.firstName == "Ada")
                // Then no one: it lapses.
                while try await messages.next() != nil {}
            }
            #expect(Self.sessionEnded(close), "\(String(describing: close))")
        }
    }
}
