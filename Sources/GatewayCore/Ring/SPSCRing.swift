import CGatewayCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded, lock-free single-producer/single-consumer ring.
///
/// One driver pushes, the pipeline thread pops. Each side keeps a cached copy of the other
/// side's index and reloads it only when the cache says the ring is full (producer) or empty
/// (consumer), so in steady state neither side touches the other's cache line.
///
/// Overflow follows the ring's ``OverflowPolicy``; every dropped item is counted in ``dropped``.
/// `dropOldest` lets the producer advance the consumer's index with a compare-and-swap; the
/// consumer then copies a batch out and commits it with a compare-and-swap too, retrying when the
/// producer moved first. Reading a slot the producer may be overwriting is only sound for plain
/// data, so `dropOldest` needs a `BitwiseCopyable` element (see ``init(capacity:policy:doorbell:)``).
public final class SPSCRing<Element>: @unchecked Sendable {
    /// The number of items the ring holds (a power of two).
    public let capacity: Int
    /// What happens when the ring is full.
    public let policy: OverflowPolicy

    // Internal but usable from inlinable code, so a ring used outside GatewayCore is specialised
    // for its element instead of moving each item through the generic value witnesses.
    @usableFromInline let mask: Int
    @usableFromInline let slots: UnsafeMutablePointer<Element>
    @usableFromInline let doorbell: Doorbell?
    /// The same doorbell, rung at +0 on the push path (a retain and release per push otherwise): `doorbell` keeps it alive.
    @usableFromInline let bell: Unmanaged<Doorbell>?
    /// Whether a push publishes without a fence (the doorbell's ``Doorbell/isAsymmetric``, or no doorbell).
    @usableFromInline let publishesWithoutFence: Bool
    // The fields above are read on every push and pop: without this, the consumer's index shares their
    // cache line, and each pop takes it from the producer.
    private var sharedPad: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    // Consumer side.
    @usableFromInline let head = Atomic<Int>(0)
    // Each index cache belongs to one thread by contract, so Swift's dynamic exclusivity checks
    // (a runtime call per access of a class's var) would only cost time on every push and pop.
    @exclusivity(unchecked) @usableFromInline var cachedTail = 0
    private var scratch: UnsafeMutablePointer<Element>?
    private var consumerPad: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    // Producer side.
    @usableFromInline let tail = Atomic<Int>(0)
    @exclusivity(unchecked) @usableFromInline var cachedHead = 0
    private let droppedCount = Atomic<UInt64>(0)
    private let isClosed = Atomic<Bool>(false)
    private var producerPad: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    /// The largest batch a single ``drain(max:_:)`` hands over.
    public static var maxBatch: Int { 256 }

    /// Creates a ring that never drops (`block`) or drops the newest item (`dropNewest`).
    /// - Parameters:
    ///   - capacity: rounded up to a power of two, at least 2.
    ///   - doorbell: rung after each push so a parked consumer wakes.
    public init(capacity: Int, lossless policy: OverflowPolicy = .block, doorbell: Doorbell? = nil) {
        precondition(policy != .dropOldest, "dropOldest needs a BitwiseCopyable element")
        let size = Self.roundUp(capacity)
        self.capacity = size
        self.mask = size - 1
        self.policy = policy
        self.doorbell = doorbell
        self.bell = doorbell.map { Unmanaged.passUnretained($0) }
        self.publishesWithoutFence = doorbell?.isAsymmetric ?? true
        self.slots = .allocate(capacity: size)
    }

    /// Creates a ring with any overflow policy.
    /// - Parameters:
    ///   - capacity: rounded up to a power of two, at least 2.
    ///   - doorbell: rung after each push so a parked consumer wakes.
    public init(capacity: Int, policy: OverflowPolicy, doorbell: Doorbell? = nil) where Element: BitwiseCopyable {
        let size = Self.roundUp(capacity)
        self.capacity = size
        self.mask = size - 1
        self.policy = policy
        self.doorbell = doorbell
        self.bell = doorbell.map { Unmanaged.passUnretained($0) }
        self.publishesWithoutFence = doorbell?.isAsymmetric ?? true
        self.slots = .allocate(capacity: size)
        if policy == .dropOldest {
            scratch = .allocate(capacity: Self.maxBatch)
        }
    }

    deinit {
        var h = head.load(ordering: .acquiring)
        let t = tail.load(ordering: .acquiring)
        while h < t {
            (slots + (h & mask)).deinitialize(count: 1)
            h += 1
        }
        slots.deallocate()
        scratch?.deallocate()
    }

    private static func roundUp(_ n: Int) -> Int {
        var size = 2
        while size < n { size <<= 1 }
        return size
    }

    // MARK: Producer

    /// Pushes one item, applying the overflow policy when full.
    /// - Returns: `false` when the item was dropped (`dropNewest`) or the ring is closed.
    @discardableResult
    @inlinable
    public func push(_ item: Element) -> Bool {
        let t = tail.load(ordering: .relaxed)
        if t &- cachedHead >= capacity, !makeRoom(tail: t) {
            return false
        }
        (slots + (t & mask)).initialize(to: item)
        publish(tail: t &+ 1)
        return true
    }

    /// Makes the items before `newTail` the consumer's and rings the doorbell.
    ///
    /// The doorbell needs the tail store ordered before its load of the consumer's announcement. With
    /// `membarrier(2)` the consumer's side supplies the processor fence and a compiler barrier suffices
    /// here; otherwise the store is sequentially consistent, which on x86 waits for every pending store,
    /// a slot still missing in the cache among them.
    @inlinable @inline(__always)
    func publish(tail newTail: Int) {
        if publishesWithoutFence {
            tail.store(newTail, ordering: .releasing)
            guard let bell else { return }
            gateway_compiler_barrier()
            bell._withUnsafeGuaranteedRef { $0.ring() }
        } else {
            tail.store(newTail, ordering: .sequentiallyConsistent)
            bell?._withUnsafeGuaranteedRef { $0.ring() }
        }
    }

    /// Pushes many items with one index update when they fit, applying the policy item by item when they don't.
    /// - Returns: how many were accepted.
    @discardableResult
    @inlinable
    public func push<C: Collection>(contentsOf items: C) -> Int where C.Element == Element {
        let count = items.count
        guard count > 0 else { return 0 }
        let t = tail.load(ordering: .relaxed)
        if capacity - (t &- cachedHead) < count {
            cachedHead = head.load(ordering: .acquiring)
        }
        guard capacity - (t &- cachedHead) >= count else {
            var accepted = 0
            for item in items where push(item) { accepted += 1 }
            return accepted
        }
        var index = t
        for item in items {
            (slots + (index & mask)).initialize(to: item)
            index &+= 1
        }
        publish(tail: index)
        return count
    }

    /// Called when the cached head says the ring is full: refreshes it, then applies the policy.
    /// - Returns: `true` when slot `t` may be written.
    @usableFromInline
    func makeRoom(tail t: Int) -> Bool {
        cachedHead = head.load(ordering: .acquiring)
        if t &- cachedHead < capacity { return true }
        switch policy {
        case .dropNewest:
            droppedCount.add(1, ordering: .relaxed)
            return false
        case .dropOldest:
            var h = cachedHead
            while t &- h >= capacity {
                let (exchanged, original) = head.compareExchange(expected: h, desired: h &+ 1, ordering: .acquiringAndReleasing)
                if exchanged {
                    droppedCount.add(1, ordering: .relaxed)
                    h &+= 1
                } else {
                    h = original
                }
            }
            cachedHead = h
            return true
        case .block:
            var spins = 0
            var pause: UInt32 = 10
            while !isClosed.load(ordering: .relaxed) {
                cachedHead = head.load(ordering: .acquiring)
                if t &- cachedHead < capacity { return true }
                doorbell?.ring()
                spins += 1
                if spins < 64 {
                    sched_yield()
                } else {
                    // Back off to at most 1 ms: a blocked producer must not burn the second core.
                    usleep(pause)
                    pause = min(pause * 2, 1_000)
                }
            }
            return false
        }
    }

    /// Releases a producer blocked on a full ring and refuses later pushes under `block`.
    public func close() { isClosed.store(true, ordering: .relaxed) }

    // MARK: Consumer

    /// Hands up to `max` items, oldest first, to `body` and frees their slots.
    /// - Returns: how many items were handed over.
    @discardableResult
    @inlinable
    public func drain(max: Int = SPSCRing.maxBatch, _ body: (Element) -> Void) -> Int {
        if policy == .dropOldest { return drainContended(max: Swift.min(max, Self.maxBatch), body) }
        let h = head.load(ordering: .relaxed)
        if cachedTail &- h <= 0 {
            cachedTail = tail.load(ordering: .acquiring)
            if cachedTail == h { return 0 }
        }
        let n = Swift.min(max, cachedTail &- h)
        for i in 0..<n {
            body((slots + ((h &+ i) & mask)).move())
        }
        head.store(h &+ n, ordering: .releasing)
        return n
    }

    /// `dropOldest` drain: copy a batch out, then claim it; retry when the producer dropped under us.
    @usableFromInline
    func drainContended(max: Int, _ body: (Element) -> Void) -> Int {
        guard let scratch else { return 0 }
        var h = head.load(ordering: .acquiring)
        while true {
            if cachedTail &- h <= 0 {
                cachedTail = tail.load(ordering: .acquiring)
                if cachedTail &- h <= 0 { return 0 }
            }
            let n = Swift.min(max, cachedTail &- h)
            for i in 0..<n {
                (scratch + i).initialize(to: slots[(h &+ i) & mask])
            }
            let (claimed, current) = head.compareExchange(expected: h, desired: h &+ n, ordering: .acquiringAndReleasing)
            if claimed {
                for i in 0..<n { body(scratch[i]) }
                return n
            }
            h = current
        }
    }

    /// True when the ring holds nothing; a sequentially consistent check that pairs with ``Doorbell``.
    public var isEmpty: Bool {
        head.load(ordering: .sequentiallyConsistent) == tail.load(ordering: .sequentiallyConsistent)
    }

    // MARK: Counters (any thread)

    /// Items currently queued.
    public var count: Int { Swift.max(0, tail.load(ordering: .relaxed) &- head.load(ordering: .relaxed)) }
    /// Items accepted since creation (including ones `dropOldest` later discarded).
    public var accepted: UInt64 { UInt64(tail.load(ordering: .relaxed)) }
    /// Items dropped by the overflow policy since creation.
    public var dropped: UInt64 { droppedCount.load(ordering: .relaxed) }
}

/// Counters any thread may read about a source's ring.
public protocol SourceCounters: AnyObject, Sendable {
    /// Items accepted since start.
    var accepted: UInt64 { get }
    /// Items dropped by the overflow policy since start.
    var dropped: UInt64 { get }
    /// Items queued now.
    var count: Int { get }
    /// Slots.
    var capacity: Int { get }
}

extension SPSCRing: SourceCounters {}
