import Dashboard
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import HummingbirdWebSocket
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
}
