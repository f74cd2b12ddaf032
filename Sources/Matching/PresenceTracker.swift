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
    }

    /// An exit found by ``expire(now:_:)``.
    public struct Exit {
        /// Which tag left which zone.
        public var key: Key
        /// Its state at exit.
        public var entry: Entry
    }

    private var present: [Key: Entry] = [:]
    private let absenceMicros: UInt64

    /// Creates a tracker with the absence after which a tag has left.
    public init(absence: Duration) {
        absenceMicros = UInt64(absence.milliseconds) * 1_000
        present.reserveCapacity(4_096)
    }

    /// Number of (tag, zone) pairs present.
    public var count: Int { present.count }

    /// Records a read. Returns `true` when it is an enter (the tag was not present in the zone).
    /// `subject` is evaluated only on enter.
    @inline(__always)
    public mutating func observe(_ key: Key, at time: Timestamp, source: UInt16, antenna: UInt16, subject: () -> Subject) -> Bool {
        if let index = present.index(forKey: key) {
            // Reads can arrive slightly out of order across antennas; never move lastSeen back.
            if present.values[index].lastSeen < time { present.values[index].lastSeen = time }
            return false
        }
        present[key] = Entry(firstSeen: time, lastSeen: time, subject: subject(), source: source, antenna: antenna)
        return true
    }

    /// The entry for a key, if present.
    public func entry(_ key: Key) -> Entry? { present[key] }

    /// Removes every presence not read for the absence time, handing each to `body` oldest-first.
    public mutating func expire(now: Timestamp, _ body: (Exit) -> Void) {
        guard now.microseconds > absenceMicros else { return }
        let cutoff = now.microseconds - absenceMicros
        var gone: [Exit] = []
        for (key, entry) in present where entry.lastSeen.microseconds <= cutoff {
            gone.append(Exit(key: key, entry: entry))
        }
        guard !gone.isEmpty else { return }
        gone.sort { $0.entry.lastSeen < $1.entry.lastSeen }
        for exit in gone {
            present.removeValue(forKey: exit.key)
            body(exit)
        }
    }

    /// Removes every presence (shutdown), handing each to `body`.
    public mutating func removeAll(_ body: (Exit) -> Void) {
        for (key, entry) in present { body(Exit(key: key, entry: entry)) }
        present.removeAll()
    }

    /// Rewrites every subject, e.g. after the directory was reloaded.
    public mutating func remapSubjects(_ transform: (Key, Subject) -> Subject) {
        for index in present.indices {
            let key = present.keys[index]
            present.values[index].subject = transform(key, present.values[index].subject)
        }
    }
}

extension PresenceTracker {
    /// Rewrites the subject of one present key; nothing when the key is not present.
    public mutating func updateSubject(_ key: Key, _ transform: (Subject) -> Subject) {
        guard let index = present.index(forKey: key) else { return }
        present.values[index].subject = transform(present.values[index].subject)
    }

    /// Forgets a key without an exit (a tag that turned out to be foreign).
    public mutating func forget(_ key: Key) { present.removeValue(forKey: key) }
}
