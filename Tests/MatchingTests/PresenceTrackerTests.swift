import GatewayCore
import Matching
import SeededRandom
import Testing

/// Presence smoothing: exits exactly at the absence time, in bounded shares, and the same as a full scan would find.
@Suite("Presence tracker")
struct PresenceTrackerTests {
    typealias Tracker = PresenceTracker<Int>

    static func key(_ serial: UInt64, zone: UInt16 = 0) -> Tracker.Key {
        Tracker.Key(tag: TagID(cardNumber: "\(serial)")!, zone: zone)
    }

    static func at(_ milliseconds: UInt64) -> Timestamp { Timestamp(microseconds: 1_000_000_000 + milliseconds * 1_000) }

    static func observe(_ tracker: inout Tracker, _ key: Tracker.Key, _ time: Timestamp) -> Bool {
        tracker.observe(key, at: time, source: 0, antenna: 1) { 0 }
    }

    /// Every exit due at `now`, calling again while a call stops at its limit.
    static func drain(_ tracker: inout Tracker, now: Timestamp, limit: Int = .max) -> [Tracker.Key] {
        var gone: [Tracker.Key] = []
        var calls = 0
        while tracker.expire(now: now, limit: limit, { gone.append($0.key) }) {
            calls += 1
            precondition(calls < 1_000_000, "expire keeps saying more is due")
        }
        return gone
    }

    /// How late an exit may come: the width of an expiry bucket, in milliseconds.
    static let slack = UInt64(10)

    @Test("a tag leaves once it has not been read for the absence time, never before, and at most a bucket later")
    func absence() {
        var tracker = Tracker(absence: .seconds(3))
        #expect(Self.observe(&tracker, Self.key(1), Self.at(5)))
        #expect(Self.drain(&tracker, now: Timestamp(microseconds: Self.at(3_005).microseconds - 1)).isEmpty)
        #expect(Self.drain(&tracker, now: Self.at(3_005 + Self.slack)) == [Self.key(1)])
        #expect(tracker.count == 0)
        #expect(Self.drain(&tracker, now: Self.at(10_000)).isEmpty)
    }

    @Test("a tag read again stays, and leaves once, an absence after its last read")
    func refreshed() {
        var tracker = Tracker(absence: .seconds(3))
        #expect(Self.observe(&tracker, Self.key(1), Self.at(0)))
        for ms in stride(from: UInt64(250), through: 6_000, by: 250) {
            #expect(!Self.observe(&tracker, Self.key(1), Self.at(ms)))
            #expect(Self.drain(&tracker, now: Self.at(ms)).isEmpty)
        }
        #expect(Self.drain(&tracker, now: Self.at(8_999)).isEmpty)
        #expect(Self.drain(&tracker, now: Self.at(9_000 + Self.slack)) == [Self.key(1)])
        #expect(Self.drain(&tracker, now: Self.at(20_000)).isEmpty)
    }

    @Test("a burst of exits comes in shares of the limit, oldest first within each, and nothing twice")
    func limitedShares() {
        var tracker = Tracker(absence: .seconds(1))
        let serialOf = Dictionary(uniqueKeysWithValues: (0..<UInt64(100)).map { (Self.key($0), $0) })
        for serial in 0..<UInt64(100) { _ = Self.observe(&tracker, Self.key(serial), Self.at(serial)) }
        var shares: [[UInt64]] = []
        var more = true
        while more {
            var share: [UInt64] = []
            more = tracker.expire(now: Self.at(5_000), limit: 32) { share.append(serialOf[$0.key]!) }
            shares.append(share)
        }
        #expect(shares.map(\.count) == [32, 32, 32, 4])
        #expect(shares.joined().sorted() == Array(0..<100))
        for share in shares { #expect(share == share.sorted()) }
        #expect(tracker.count == 0)
    }

    @Test("a read stamped before the oldest kept time (a reader's clock behind) still leaves")
    func clockBehind() {
        var tracker = Tracker(absence: .seconds(1))
        _ = Self.observe(&tracker, Self.key(1), Self.at(60_000))
        #expect(Self.drain(&tracker, now: Self.at(60_500)).isEmpty)
        _ = Self.observe(&tracker, Self.key(2), Self.at(10))
        #expect(Self.drain(&tracker, now: Self.at(60_500)) == [Self.key(2)])
        #expect(Self.drain(&tracker, now: Self.at(61_000 + Self.slack)) == [Self.key(1)])
    }

    @Test("after a quiet hour the next exits are found at once")
    func quietSpell() {
        var tracker = Tracker(absence: .seconds(3))
        _ = Self.observe(&tracker, Self.key(1), Self.at(0))
        #expect(Self.drain(&tracker, now: Self.at(3_000 + Self.slack)) == [Self.key(1)])
        _ = Self.observe(&tracker, Self.key(2), Self.at(3_600_000))
        #expect(Self.drain(&tracker, now: Self.at(3_602_999)).isEmpty)
        #expect(Self.drain(&tracker, now: Self.at(3_603_000 + Self.slack)) == [Self.key(2)])
    }

    @Test("random reads, forgets and expiries: no tag leaves before a full scan would find it gone, or a bucket after", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func againstFullScan(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var tracker = Tracker(absence: .milliseconds(300))
        var model: [Tracker.Key: UInt64] = [:] // key → last read, ms
        var now: UInt64 = 0
        for _ in 0..<20_000 {
            now += UInt64.random(in: 0...3, using: &random)
            let key = Self.key(UInt64.random(in: 0..<200, using: &random), zone: UInt16.random(in: 0..<2, using: &random))
            switch UInt8.random(in: 0..<100, using: &random) {
            case 0..<80:
                // Now and then a read stamped a little early, as across antennas.
                let stamp = now >= 40 && Bool.random(using: &random) && UInt8.random(in: 0..<10, using: &random) == 0 ? now - 40 : now
                let entered = Self.observe(&tracker, key, Self.at(stamp))
                #expect(entered == (model[key] == nil))
                model[key] = max(model[key] ?? 0, stamp)
            case 80..<83:
                tracker.forget(key)
                model[key] = nil
            default:
                let limit = Bool.random(using: &random) ? Int.random(in: 1...8, using: &random) : .max
                let gone = Self.drain(&tracker, now: Self.at(now), limit: limit)
                #expect(Set(gone).count == gone.count, "an exit was handed over twice")
                for key in gone {
                    #expect(model[key].map { $0 + 300 <= now } == true, "seed \(seed): \(key) left early at \(now) ms")
                    model[key] = nil
                }
                let overdue = model.filter { $0.value + 300 + Self.slack <= now }
                #expect(overdue.isEmpty, "seed \(seed): \(overdue.count) tags still present at \(now) ms")
            }
            #expect(tracker.count == model.count)
        }
        for (key, last) in model {
            #expect(tracker.entry(key)?.lastSeen == Self.at(last))
        }
    }
}
