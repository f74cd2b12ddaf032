import Dashboard
import Testing

@Suite struct SessionStoreTests {
    @Test func aSessionLastsItsTTLFromItsLastUse() async throws {
        let sessions = SessionStore(ttl: .milliseconds(400))
        let id = sessions.create(user: "anna")
        #expect(sessions.user(for: id) == "anna")
        #expect(sessions.user(for: "0000") == nil)
        #expect(sessions.user(for: nil) == nil)
        let before = try #require(sessions.expiry(of: id))
        // Reading the expiry does not renew; using the session does.
        #expect(sessions.expiry(of: id) == before)
        _ = sessions.user(for: id)
        #expect(try #require(sessions.expiry(of: id)) > before)
    }

    @Test(.timeLimit(.minutes(1))) func waitingEndsAtOnceForAnUnknownSessionAndOnSignOut() async throws {
        let sessions = SessionStore(ttl: .seconds(3600))
        await sessions.waitUntilEnded("no-such-session")
        let id = sessions.create(user: "anna")
        let waiter = Task { await sessions.waitUntilEnded(id) }
        // The waiter is registered once it waits; signing out must release it whenever that is.
        sessions.remove(id)
        await waiter.value
        #expect(sessions.user(for: id) == nil)
        #expect(sessions.count == 0)
    }

    @Test(.timeLimit(.minutes(1))) func waitingEndsWhenTheSessionLapsesNotWhileItIsRenewed() async throws {
        // A TTL well above the renewal's delay, so a slow machine cannot let it lapse before the renewal.
        let sessions = SessionStore(ttl: .seconds(2))
        let id = sessions.create(user: "anna")
        let started = ContinuousClock.now
        let waiter = Task { await sessions.waitUntilEnded(id); return ContinuousClock.now }
        // Renewed at 500 ms, it lapses no sooner than 2.5 s after the start.
        try await Task.sleep(for: .milliseconds(500))
        #expect(sessions.user(for: id) == "anna")
        let ended = await waiter.value
        #expect(ended - started >= .milliseconds(2_500))
        #expect(ended - started < .seconds(10))
        #expect(sessions.user(for: id) == nil)
    }

    @Test(.timeLimit(.minutes(1))) func aCancelledWaitReturnsAndLeavesTheSessionAlone() async throws {
        let sessions = SessionStore(ttl: .seconds(3600))
        let id = sessions.create(user: "anna")
        let waiter = Task { await sessions.waitUntilEnded(id) }
        waiter.cancel()
        await waiter.value
        #expect(sessions.user(for: id) == "anna")
    }
}
