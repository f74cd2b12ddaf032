import Synchronization

/// Counters of one LLRP reader's driver, readable from any thread.
///
/// They complement the ring's own counters: these say what happened on the wire.
public final class LLRPReaderStatistics: Sendable {
    private let connectionAttemptsCount = Atomic<UInt64>(0)
    private let sessionsCount = Atomic<UInt64>(0)
    private let reportsCount = Atomic<UInt64>(0)
    private let readsCount = Atomic<UInt64>(0)
    private let ringDropsCount = Atomic<UInt64>(0)
    private let keepalivesCount = Atomic<UInt64>(0)
    private let malformedCount = Atomic<UInt64>(0)
    private let unsupportedTagsCount = Atomic<UInt64>(0)
    private let clockFallbackReadsCount = Atomic<UInt64>(0)

    /// A copy of the counters.
    public struct Snapshot: Sendable, Equatable {
        /// TCP connections attempted.
        public var connectionAttempts: UInt64
        /// Sessions that got as far as `START_ROSPEC`.
        public var sessions: UInt64
        /// `RO_ACCESS_REPORT`s decoded.
        public var reports: UInt64
        /// Reads handed to the ring (including ones its policy then dropped).
        public var reads: UInt64
        /// Reads the ring refused under `dropNewest`.
        public var ringDrops: UInt64
        /// `KEEPALIVE`s received and acknowledged.
        public var keepalives: UInt64
        /// Frames that did not decode: corrupt lengths, truncated frames, inconsistent parameters.
        public var malformedFrames: UInt64
        /// Tags whose EPC was empty or longer than a `TagID` holds.
        public var unsupportedTags: UInt64
        /// Reads stamped with host time because the reader's clock was implausible.
        public var clockFallbackReads: UInt64
    }

    /// Creates zeroed counters.
    public init() {}

    /// The current values.
    public var snapshot: Snapshot {
        Snapshot(connectionAttempts: connectionAttemptsCount.load(ordering: .relaxed), sessions: sessionsCount.load(ordering: .relaxed),
                 reports: reportsCount.load(ordering: .relaxed), reads: readsCount.load(ordering: .relaxed),
                 ringDrops: ringDropsCount.load(ordering: .relaxed), keepalives: keepalivesCount.load(ordering: .relaxed),
                 malformedFrames: malformedCount.load(ordering: .relaxed), unsupportedTags: unsupportedTagsCount.load(ordering: .relaxed),
                 clockFallbackReads: clockFallbackReadsCount.load(ordering: .relaxed))
    }

    func connectionAttempted() { connectionAttemptsCount.add(1, ordering: .relaxed) }
    func sessionStarted() { sessionsCount.add(1, ordering: .relaxed) }
    func reportDecoded() { reportsCount.add(1, ordering: .relaxed) }
    func delivered(_ reads: Int, dropped: Int) {
        readsCount.add(UInt64(reads), ordering: .relaxed)
        if dropped > 0 { ringDropsCount.add(UInt64(dropped), ordering: .relaxed) }
    }
    func keepaliveReceived() { keepalivesCount.add(1, ordering: .relaxed) }
    func malformedFrame() { malformedCount.add(1, ordering: .relaxed) }
    func unsupportedTags(_ count: Int) { unsupportedTagsCount.add(UInt64(count), ordering: .relaxed) }
    func clockFallback(_ count: Int) { clockFallbackReadsCount.add(UInt64(count), ordering: .relaxed) }
}

/// Whether the reader's clock has been found implausible, shared by the sessions of one reader so
/// the fallback is announced once rather than on every reconnect.
final class ClockWatch: Sendable {
    private struct State {
        var inFallback = false
        var announced = false
    }

    private let state = Mutex(State())

    /// Records an implausible reading; `true` the first time ever, when it should be announced.
    func enterFallback() -> Bool {
        state.withLock { s in
            s.inFallback = true
            defer { s.announced = true }
            return !s.announced
        }
    }

    /// Records a plausible reading; `true` when this ends a fallback.
    func leaveFallback() -> Bool {
        state.withLock { s in
            defer { s.inFallback = false }
            return s.inFallback
        }
    }

    var inFallback: Bool { state.withLock { $0.inFallback } }
}
