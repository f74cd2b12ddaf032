import Foundation
import Synchronization

/// Signed-in staff, in memory: a restart signs everyone out, which is acceptable for a store's screen.
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

    private let ttl: Duration
    private let sessions = Mutex<[String: Session]>([:])

    /// Creates an empty store whose sessions last `ttl` from their last use.
    public init(ttl: Duration) { self.ttl = ttl }

    /// Starts a session for `user` and returns its id: 256 random bits as hex.
    public func create(user: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
        let now = ContinuousClock.now
        sessions.withLock {
            // Sweep on creation: cheap, and the table never grows past the sessions alive.
            $0 = $0.filter { $0.value.expires > now }
            $0[id] = Session(user: user, expires: now + ttl)
        }
        return id
    }

    /// The user of a live session, renewing it; `nil` for an unknown or lapsed id.
    public func user(for id: String?) -> String? {
        guard let id, !id.isEmpty else { return nil }
        let now = ContinuousClock.now
        return sessions.withLock { table in
            guard var session = table[id] else { return nil }
            guard session.expires > now else {
                table[id] = nil
                return nil
            }
            session.expires = now + ttl
            table[id] = session
            return session.user
        }
    }

    /// Ends a session (sign-out).
    public func remove(_ id: String?) {
        guard let id else { return }
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// Sessions alive now.
    public var count: Int { sessions.withLock { $0.count } }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
