import SeededRandom
import Testing

@testable import Matching

/// The presence table against a `Dictionary`, under hashes that collide on purpose.
@Suite("Presence table")
struct PresenceTableTests {
    /// Random inserts, updates and removals, checked after every step against a dictionary: every key
    /// found at a position holding it and its value, every removed key gone, the count the same.
    /// `hashBits` few makes long runs of colliding slots, which backward-shift deletion must keep whole.
    @Test("random inserts, updates and removals: the same contents as a Dictionary, through growth and colliding runs",
          arguments: [(1, 32), (4, 8), (32, 1)] as [(Int, Int)])
    func sameAsDictionary(hashBits: Int, initialCapacity: Int) {
        var random = SplitMix64(seed: UInt64(hashBits * 1_000 + initialCapacity))
        var table = PresenceTable<Int, Int>(capacity: initialCapacity)
        var reference: [Int: Int] = [:]
        let hashMask: UInt32 = hashBits >= 32 ? .max : (1 << UInt32(hashBits)) - 1
        // A hash from the key's own bits, cut down so that many keys share one.
        func hash(_ key: Int) -> UInt32 { UInt32(truncatingIfNeeded: (UInt64(key) &* 0x9E37_79B9_7F4A_7C15) >> 32) & hashMask }
        func agrees(_ probe: Int) -> Bool {
            let position = table.position(of: probe, hash: hash(probe))
            return position.map { table.keys[$0] } == (reference[probe] == nil ? nil : probe)
                && position.map { table.values[$0] } == reference[probe]
        }
        for step in 0..<6_000 {
            if step % 1_500 == 1_499 {
                table.removeAll()
                reference.removeAll()
            }
            let key = Int.random(in: 0..<400, using: &random)
            if Int.random(in: 0..<8, using: &random) < 5 {
                if let position = table.position(of: key, hash: hash(key)) {
                    table.values[position] = step
                } else {
                    table.insert(key, step, hash: hash(key))
                }
                reference[key] = step
            } else {
                if let position = table.position(of: key, hash: hash(key)) { table.remove(at: position) }
                reference[key] = nil
            }
            // Every key after every tenth step (a removal may have broken another key's run), the touched one always.
            let wrong = (step % 10 == 0 ? Array(0..<400) : [key]).filter { !agrees($0) }
            #expect(table.count == reference.count && wrong.isEmpty, "step \(step): count \(table.count) for \(reference.count), keys \(wrong) disagree")
            if !wrong.isEmpty { return }
        }
    }
}
