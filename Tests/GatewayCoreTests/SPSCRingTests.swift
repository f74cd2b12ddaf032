import Foundation
import Synchronization
import Testing
@testable import GatewayCore

@Suite("SPSC ring")
struct SPSCRingTests {
    /// Runs `producer` on its own thread and returns when it has finished.
    private func onThread(_ body: @escaping @Sendable () -> Void) -> Thread {
        let thread = Thread(block: body)
        thread.start()
        return thread
    }

    @Test("two threads, millions of items, block policy: nothing lost, duplicated or reordered")
    func blockingAcrossThreads() {
        let total: UInt64 = 3_000_000
        let ring = SPSCRing<UInt64>(capacity: 1_024, policy: .block)
        let finished = Atomic<Bool>(false)
        _ = onThread {
            var batch: [UInt64] = []
            var next: UInt64 = 0
            while next < total {
                // Alternate single pushes and batches so both paths carry traffic.
                if next % 2 == 0 {
                    ring.push(next)
                    next += 1
                } else {
                    batch.removeAll(keepingCapacity: true)
                    let upper = min(total, next + 37)
                    for value in next..<upper { batch.append(value) }
                    let accepted = ring.push(contentsOf: batch)
                    precondition(accepted == batch.count)
                    next = upper
                }
            }
            finished.store(true, ordering: .releasing)
        }
        var expected: UInt64 = 0
        var mismatches = 0
        let deadline = Date().addingTimeInterval(120)
        while expected < total, Date() < deadline {
            ring.drain { value in
                if value != expected { mismatches += 1 }
                expected = value + 1
            }
        }
        #expect(expected == total)
        #expect(mismatches == 0)
        #expect(ring.dropped == 0)
        #expect(ring.accepted == total)
    }

    @Test("dropNewest keeps the oldest items and counts every drop")
    func dropNewest() {
        let ring = SPSCRing<Int>(capacity: 8, policy: .dropNewest)
        var accepted = 0
        for value in 0..<100 where ring.push(value) { accepted += 1 }
        #expect(accepted == 8)
        #expect(ring.dropped == 92)
        var drained: [Int] = []
        ring.drain { drained.append($0) }
        #expect(drained == Array(0..<8))
    }

    @Test("dropOldest keeps the newest items and counts every drop")
    func dropOldest() {
        let ring = SPSCRing<Int>(capacity: 8, policy: .dropOldest)
        for value in 0..<100 { #expect(ring.push(value)) }
        #expect(ring.dropped == 92)
        var drained: [Int] = []
        ring.drain { drained.append($0) }
        #expect(drained == Array(92..<100))
    }

    @Test("block refuses once closed instead of waiting forever")
    func blockClosed() {
        let ring = SPSCRing<Int>(capacity: 2, policy: .block)
        #expect(ring.push(1))
        #expect(ring.push(2))
        ring.close()
        #expect(!ring.push(3))
        #expect(ring.dropped == 0)
    }

    @Test("lossy policies under contention: what arrives is in order, and arrived + dropped = pushed", arguments: [OverflowPolicy.dropNewest, .dropOldest])
    func lossyAcrossThreads(policy: OverflowPolicy) {
        let total: UInt64 = 1_000_000
        let ring = SPSCRing<UInt64>(capacity: 64, policy: policy)
        let finished = Atomic<Bool>(false)
        _ = onThread {
            for value in 0..<total { ring.push(value) }
            finished.store(true, ordering: .releasing)
        }
        var received: UInt64 = 0
        var last: UInt64? = nil
        var outOfOrder = 0
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let done = finished.load(ordering: .acquiring)
            let n = ring.drain { value in
                if let previous = last, value <= previous { outOfOrder += 1 }
                last = value
                received += 1
            }
            if done && n == 0 && ring.isEmpty { break }
        }
        #expect(outOfOrder == 0)
        #expect(received + ring.dropped == total)
        #expect(received > 0)
    }

    @Test("non-trivial elements are moved out and released")
    func releasesElements() {
        final class Box { let value: Int; init(_ value: Int) { self.value = value } }
        weak var weakBox: Box?
        do {
            let ring = SPSCRing<Box>(capacity: 4)
            let box = Box(7)
            weakBox = box
            ring.push(box)
            var seen = 0
            ring.drain { seen = $0.value }
            #expect(seen == 7)
            ring.push(Box(8))
        }
        #expect(weakBox == nil)
    }
}
