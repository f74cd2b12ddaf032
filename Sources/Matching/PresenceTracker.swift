import GatewayCore

/// Smooths raw reads into presence per (tag, zone): a tag enters on its first read and leaves
/// after it has not been read for the absence time.
///
/// Readers report the same tag many times a second and miss it now and then; smoothing turns that
/// flicker into one enter and one exit.
public struct PresenceTracker<Subject> {
    /// The identity of one presence: a tag in a zone.
    public struct Key: Hashable {
        /// The tag.
        public var tag: TagID
        /// The zone's index in the store layout.
        public var zone: UInt16

        /// Creates a key.
        public init(tag: TagID, zone: UInt16) {
            self.tag = tag
            self.zone = zone
        }
    }

    /// What the tracker keeps for a present tag.
    public struct Entry {
        /// When it entered.
        public var firstSeen: Timestamp
        /// When it was last read.
        public var lastSeen: Timestamp
        /// What the matcher made of it.
        public var subject: Subject
        /// The read that caused the enter (reader and antenna, for the exit event).
        public var source: UInt16
        /// The antenna of the entering read.
        public var antenna: UInt16
        /// The expiry bucket that holds this key (see ``PresenceTracker``); others holding it are stale.
        var bucket: Int64 = 0
    }

    /// An exit found by ``expire(now:_:)``.
    public struct Exit {
        /// Which tag left which zone.
        public var key: Key
        /// Its state at exit.
        public var entry: Entry
    }

    private var present: PresenceTable<Key, Entry>
    private let absenceMicros: UInt64
    /// Per tracker, so no one can choose tags that collide: tag EPCs are writable.
    private let seed = UInt64.random(in: .min ... .max)

    // Expiry without scanning everything present: each key is filed in the bucket of the time it was
    // last filed (``bucketMicros`` wide), and a read does not move it. When a bucket's time has passed
    // the absence, its keys that were read since are filed again under their last read; the others
    // leave. A key is so refiled at most once per absence, however often it is read.
    private var buckets: [Int64: [Key]] = [:]
    /// No bucket below this one holds keys.
    private var firstBucket: Int64?
    /// The width of a bucket: well under the pipeline's tick, so it does not coarsen exits.
    static var bucketMicros: UInt64 { 10_000 }

    /// Creates a tracker with the absence after which a tag has left, sized for `capacity` pairs present at once.
    public init(absence: Duration, capacity: Int = 4_096) {
        absenceMicros = UInt64(absence.milliseconds) * 1_000
        present = PresenceTable(capacity: capacity)
    }

    @inline(__always)
    private func hash(_ key: Key) -> UInt32 {
        UInt32(truncatingIfNeeded: DirectoryHash.tag(key.tag, seed: seed ^ UInt64(key.zone)) >> 32)
    }

    /// Number of (tag, zone) pairs present.
    public var count: Int { present.count }

    /// Records a read. Returns `true` when it is an enter (the tag was not present in the zone).
    /// `subject` is evaluated only on enter.
    @inline(__always)
    public mutating func observe(_ key: Key, at time: Timestamp, source: UInt16, antenna: UInt16, subject: () -> Subject) -> Bool {
        let hash = hash(key)
        if let index = present.position(of: key, hash: hash) {
            // Reads can arrive slightly out of order across antennas; never move lastSeen back.
            if present.values[index].lastSeen < time { present.values[index].lastSeen = time }
            return false
        }
        present.insert(key, Entry(firstSeen: time, lastSeen: time, subject: subject(), source: source, antenna: antenna, bucket: file(key, at: time)),
                       hash: hash)
        return true
    }

    /// Puts `key` in the bucket of `time`; one older than every other (a reader's clock behind) becomes the first.
    private mutating func file(_ key: Key, at time: Timestamp) -> Int64 {
        let bucket = Int64(bitPattern: time.microseconds / Self.bucketMicros)
        firstBucket = min(firstBucket ?? bucket, bucket)
        buckets[bucket, default: []].append(key)
        return bucket
    }

    /// The entry for a key, if present.
    public func entry(_ key: Key) -> Entry? { present.position(of: key, hash: hash(key)).map { present.values[$0] } }

    /// Removes presences not read for the absence time, handing each to `body` oldest-first.
    ///
    /// Keys are looked at a bucket at a time, once its whole width is past the absence: a tag leaves
    /// within ``bucketMicros`` after its absence time is up, and a call when nothing is due costs a compare.
    ///
    /// - Parameter limit: the most exits to hand over in this call, so a burst of them cannot hold up
    ///   the reads queued behind it.
    /// - Returns: `true` when the call stopped at `limit`: more may be due, so call again.
    @discardableResult
    public mutating func expire(now: Timestamp, limit: Int = .max, _ body: (Exit) -> Void) -> Bool {
        guard now.microseconds > absenceMicros, limit > 0, var bucket = firstBucket else { return false }
        let cutoff = now.microseconds - absenceMicros
        // Bucket b holds keys filed at [b·w, (b+1)·w): all of it is at or before the cutoff below this one.
        let dueBefore = Int64(bitPattern: (cutoff + 1) / Self.bucketMicros)
        var gone: [Exit] = []
        while bucket < dueBefore {
            // Taken out, so it is owned here: popping and putting back a remainder copy nothing.
            guard var keys = buckets.removeValue(forKey: bucket) else {
                // Skip a run of empty buckets at once: after a quiet spell it may be long.
                guard let next = buckets.keys.min() else { break }
                bucket = next
                continue
            }
            while gone.count < limit, let key = keys.popLast() {
                // A key forgotten, or gone and back since, is held by a later bucket: this filing is stale.
                guard let index = present.position(of: key, hash: hash(key)), present.values[index].bucket == bucket else { continue }
                let lastSeen = present.values[index].lastSeen
                if lastSeen.microseconds <= cutoff {
                    gone.append(Exit(key: key, entry: present.values[index]))
                    present.remove(at: index)
                } else {
                    // Read since it was filed: file it under its last read, a later bucket.
                    present.values[index].bucket = file(key, at: lastSeen)
                }
            }
            if !keys.isEmpty {
                buckets[bucket] = keys
                break
            }
            bucket += 1
        }
        firstBucket = buckets.isEmpty ? nil : bucket
        gone.sort { $0.entry.lastSeen < $1.entry.lastSeen }
        for exit in gone { body(exit) }
        return gone.count == limit
    }

    /// Removes every presence (shutdown), handing each to `body`.
    public mutating func removeAll(_ body: (Exit) -> Void) {
        for index in 0..<present.count { body(Exit(key: present.keys[index], entry: present.values[index])) }
        present.removeAll()
        buckets.removeAll()
        firstBucket = nil
    }

    /// Rewrites every subject, e.g. after the directory was reloaded.
    public mutating func remapSubjects(_ transform: (Key, Subject) -> Subject) {
        for index in 0..<present.count {
            present.values[index].subject = transform(present.keys[index], present.values[index].subject)
        }
    }
}

extension PresenceTracker {
    /// Rewrites the subject of one present key; nothing when the key is not present.
    public mutating func updateSubject(_ key: Key, _ transform: (Subject) -> Subject) {
        guard let index = present.position(of: key, hash: hash(key)) else { return }
        present.values[index].subject = transform(present.values[index].subject)
    }

    /// Forgets a key without an exit (a tag that turned out to be foreign).
    public mutating func forget(_ key: Key) {
        if let index = present.position(of: key, hash: hash(key)) { present.remove(at: index) }
    }
}
