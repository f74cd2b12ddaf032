import Synchronization

/// Slows down password guessing: after a few failures for a name or from an address, sign-in is
/// refused for a while, whatever the password.
public final class LoginLimiter: Sendable {
    private struct Record {
        var failures: [ContinuousClock.Instant] = []
        var lockedUntil: ContinuousClock.Instant?
    }

    private let maxFailures: Int
    private let window: Duration
    private let lockout: Duration
    private let records = Mutex<[String: Record]>([:])

    /// After `maxFailures` within `window`, the key is locked for `lockout`.
    public init(maxFailures: Int = 5, window: Duration = .seconds(300), lockout: Duration = .seconds(60)) {
        self.maxFailures = maxFailures
        self.window = window
        self.lockout = lockout
    }

    /// Whether any of `keys` (the name, the client address) is locked now.
    public func isLocked(_ keys: [String], now: ContinuousClock.Instant = .now) -> Bool {
        records.withLock { table in
            keys.contains { key in (table[key]?.lockedUntil).map { $0 > now } ?? false }
        }
    }

    /// Counts a failed sign-in against every key.
    public func recordFailure(_ keys: [String], now: ContinuousClock.Instant = .now) {
        records.withLock { table in
            if table.count > 10_000 { table = table.filter { ($0.value.lockedUntil ?? now) > now || !$0.value.failures.isEmpty } }
            for key in keys {
                var record = table[key] ?? Record()
                record.failures = record.failures.filter { now - $0 < window } + [now]
                if record.failures.count >= maxFailures {
                    record.lockedUntil = now + lockout
                    record.failures.removeAll()
                }
                table[key] = record
            }
        }
    }

    /// Forgets the failures of `keys` after a successful sign-in.
    public func recordSuccess(_ keys: [String]) {
        records.withLock { table in for key in keys { table[key] = nil } }
    }
}
