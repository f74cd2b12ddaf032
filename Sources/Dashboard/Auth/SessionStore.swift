import Foundation
import Synchronization

/// Signed-in staff, in memory: a restart signs everyone out, which is acceptable for a store's screen.
///
/// A session ends when it is signed out or when it goes unused for the TTL. Whatever holds a
/// connection open on a session (the live feed's WebSocket) waits on ``waitUntilEnded(_:)`` and
/// closes when it returns, so nothing outlives the sign-in that opened it.
public final class SessionStore: Sendable {
    /// One sign-in.
    public struct Session: Sendable, Equatable {
        /// Who signed in.
        public var user: String
        /// When it lapses unless renewed.
        public var expires: ContinuousClock.Instant
    }

    /// The cookie that carries the session id.
    public static let cookieName = "gw_session"

    private struct Table {
        var sessions: [String: Session] = [:]
        /// Waiters per session id: finished when the session is removed.
        var watchers: [String: [UInt64: AsyncStream<Never>.Continuation]] = [:]
        var nextWatcher: UInt64 = 0
    }

    private let ttl: Duration
    private let table = Mutex(Table())

    /// Creates an empty store whose sessions last `ttl` from their last use.
    public init(ttl: Duration) { self.ttl = ttl }

    /// Starts a session for `user` and returns its id: 256 random bits as hex.
    public func create(user: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
        let now = ContinuousClock.now
        table.withLock { table in
            // Sweep on creation: cheap, and the table never grows past the sessions alive.
            for lapsed in table.sessions.filter({ $0.value.expires <= now }).keys { Self.end(lapsed, in: &table) }
            table.sessions[id] = Session(user: user, expires: now + ttl)
        }
        return id
    }

    /// The user of a live session, renewing it; `nil` for an unknown or lapsed id.
    public func user(for id: String?) -> String? {
        guard let id, !id.isEmpty else { return nil }
        let now = ContinuousClock.now
        return table.withLock { table in
            guard var session = table.sessions[id] else { return nil }
            guard session.expires > now else {
                Self.end(id, in: &table)
                return nil
            }
            session.expires = now + ttl
            table.sessions[id] = session
            return session.user
        }
    }

    /// When the session lapses unless renewed; `nil` for an unknown id. Does not renew it.
    public func expiry(of id: String) -> ContinuousClock.Instant? {
        table.withLock { $0.sessions[id]?.expires }
    }

    /// Ends a session (sign-out); everything waiting on it is released.
    public func remove(_ id: String?) {
        guard let id else { return }
        table.withLock { Self.end(id, in: &$0) }
    }

    /// Sessions alive now.
    public var count: Int { table.withLock { $0.sessions.count } }

    /// Returns once session `id` has ended: at once for an unknown or lapsed id, as soon as it is
    /// signed out, or when its expiry passes without a renewal. Returns early when the task is cancelled.
    public func waitUntilEnded(_ id: String) async {
        let (signal, continuation) = AsyncStream<Never>.makeStream()
        let watcher: UInt64? = table.withLock { table in
            guard table.sessions[id] != nil else { return nil }
            table.nextWatcher += 1
            table.watchers[id, default: [:]][table.nextWatcher] = continuation
            return table.nextWatcher
        }
        guard let watcher else { return }
        defer {
            table.withLock { table in
                table.watchers[id]?[watcher] = nil
                if table.watchers[id]?.isEmpty == true { table.watchers[id] = nil }
            }
        }
        await withTaskGroup(of: Void.self) { group in
            // Sign-out: the stream finishes (iteration also ends when the task is cancelled).
            group.addTask { for await _ in signal {} }
            // Lapse: sleep to the expiry, and again when a request renewed it meanwhile.
            group.addTask { [self] in
                while let expires = expiry(of: id) {
                    if expires <= .now {
                        remove(id)
                        return
                    }
                    do {
                        try await Task.sleep(until: expires, clock: .continuous)
                    } catch {
                        return
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private static func end(_ id: String, in table: inout Table) {
        table.sessions[id] = nil
        for continuation in (table.watchers.removeValue(forKey: id) ?? [:]).values { continuation.finish() }
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
