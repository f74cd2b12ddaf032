/// The present pairs of a ``PresenceTracker``: an open-addressing hash table over dense arrays.
///
/// Not a `Dictionary`: SipHash over a 72-byte tag on every read, and a rehash that moves every key
/// and value at once when it grows, were 17–25% of the pipeline thread at full load. Here the
/// caller hashes (seeded, a few multiplies), keys and values live in dense arrays that grow as
/// arrays do, and only the slots — 8 bytes each: 32 bits of the hash and the position plus one —
/// are rebuilt when the table grows. Linear probing with backward-shift deletion: no tombstones,
/// however many pairs come and go. Positions change only in ``remove(at:)``, which moves the last
/// pair into the hole.
struct PresenceTable<Key: Equatable, Value> {
    /// The pairs' keys, by position.
    private(set) var keys: [Key] = []
    /// The pairs' values, by position.
    var values: [Value] = []
    /// The 32 bits of each pair's hash the slots keep, by position: to find a pair's slot again.
    private var hashes: [UInt32] = []
    private var slots: [UInt64]
    private var mask: Int

    /// A table that holds `capacity` pairs before its slots grow.
    init(capacity: Int) {
        var slotCount = 16
        while slotCount * 7 < max(capacity, 1) * 10 { slotCount <<= 1 }
        slots = [UInt64](repeating: 0, count: slotCount)
        mask = slotCount - 1
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
        hashes.reserveCapacity(capacity)
    }

    /// Pairs held.
    var count: Int { keys.count }

    /// The position of `key`, whose hash is `hash`.
    @inline(__always)
    func position(of key: Key, hash: UInt32) -> Int? {
        let fingerprint = UInt64(hash) << 32
        var i = Int(hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let slot = slots[i]
                if slot == 0 { return nil }
                if slot & 0xFFFF_FFFF_0000_0000 == fingerprint {
                    let position = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                    if keys[position] == key { return position }
                }
                i = (i &+ 1) & mask
            }
        }
    }

    /// Adds a pair whose key is not in the table; returns its position.
    @discardableResult
    mutating func insert(_ key: Key, _ value: Value, hash: UInt32) -> Int {
        if (keys.count + 1) * 10 > slots.count * 7 { grow() }
        let position = keys.count
        keys.append(key)
        values.append(value)
        hashes.append(hash)
        place(hash: hash, position: position)
        return position
    }

    /// Removes the pair at `position`; the last pair takes its position.
    mutating func remove(at position: Int) {
        vacate(slot(of: position))
        let last = keys.count - 1
        if position != last {
            let moved = slot(of: last)
            slots[moved] = slots[moved] & 0xFFFF_FFFF_0000_0000 | UInt64(position + 1)
            keys.swapAt(position, last)
            values.swapAt(position, last)
            hashes.swapAt(position, last)
        }
        keys.removeLast()
        values.removeLast()
        hashes.removeLast()
    }

    /// Removes every pair, keeping the memory.
    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = 0 }
    }

    private mutating func place(hash: UInt32, position: Int) {
        var i = Int(hash) & mask
        while slots[i] != 0 { i = (i &+ 1) & mask }
        slots[i] = UInt64(hash) << 32 | UInt64(position + 1)
    }

    private mutating func grow() {
        let slotCount = slots.count * 2
        precondition(slotCount <= 1 << 32, "the presence table holds fewer than 2^31 pairs")
        slots = [UInt64](repeating: 0, count: slotCount)
        mask = slotCount - 1
        for (position, hash) in hashes.enumerated() { place(hash: hash, position: position) }
    }

    /// The slot that points at `position`.
    private func slot(of position: Int) -> Int {
        let target = UInt64(position + 1)
        var i = Int(hashes[position]) & mask
        while slots[i] & 0xFFFF_FFFF != target { i = (i &+ 1) & mask }
        return i
    }

    /// Empties slot `hole`, moving back each later slot of the run that may sit there: every pair
    /// stays reachable from its home slot without a gap, so lookups still stop at the first empty slot.
    private mutating func vacate(_ hole: Int) {
        var hole = hole
        var i = hole
        while true {
            i = (i &+ 1) & mask
            let slot = slots[i]
            if slot == 0 { break }
            let home = Int(truncatingIfNeeded: slot >> 32) & mask
            // The hole lies on the way from this slot's home to it: the slot may move there.
            if (i &- home) & mask >= (i &- hole) & mask {
                slots[hole] = slot
                hole = i
            }
        }
        slots[hole] = 0
    }
}
