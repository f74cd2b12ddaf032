import CGatewayCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wakes a parked consumer when a producer pushes: the pipeline's way to idle without burning a core.
///
/// The consumer announces it is parked, re-checks its rings, and only then sleeps; a producer
/// publishes its item, then looks at the announcement. One of them must see the other, which takes a
/// full fence between each side's store and its load.
///
/// Where the kernel has `membarrier(2)` (``isAsymmetric``), the fence is all on the consumer's side,
/// so a push costs a plain store: the consumer first sleeps at most ``shortPark``, which bounds a wake-up
/// missed for want of the producer's fence, and only before a longer sleep issues the membarrier,
/// which makes every producer's store visible. Without it, producers store sequentially consistently.
/// Every sleep also has a timeout, which bounds the cost of any mistake to one timeout.
public final class Doorbell: @unchecked Sendable {
    /// Whether producers may publish without a fence (see ``Doorbell``): decided once per process.
    public static let membarrierAvailable: Bool = gateway_membarrier_register() == 0
    /// The first, unfenced part of a park.
    public static let shortParkNanoseconds: UInt64 = 500_000

    /// Whether this doorbell's producers publish without a fence.
    public let isAsymmetric: Bool
    private let parked = Atomic<Bool>(false)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let rings = Atomic<UInt64>(0)

    /// Creates a doorbell.
    /// - Parameter asymmetric: let producers publish without a fence, where the kernel allows it.
    public init(asymmetric: Bool = true) {
        isAsymmetric = asymmetric && Self.membarrierAvailable
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if canImport(Glibc)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Wakes the consumer if it is parked. Cheap when it is not: one load.
    ///
    /// Call it after publishing with a sequentially consistent store, or, when ``isAsymmetric``, after a
    /// releasing store and a compiler barrier (``SPSCRing`` does this).
    @inline(__always)
    public func ring() {
        if parked.load(ordering: .sequentiallyConsistent) {
            pthread_mutex_lock(mutex)
            rings.add(1, ordering: .relaxed)
            pthread_cond_signal(condition)
            pthread_mutex_unlock(mutex)
        }
    }

    /// Parks the calling thread for at most `timeoutNanoseconds`, unless `hasWork` says there is work.
    public func park(timeoutNanoseconds: UInt64, hasWork: () -> Bool) {
        pthread_mutex_lock(mutex)
        parked.store(true, ordering: .sequentiallyConsistent)
        if !hasWork() {
            if isAsymmetric && timeoutNanoseconds > Self.shortParkNanoseconds {
                // A producer's index may still be on its way; the short sleep bounds the wait for it.
                sleep(Self.shortParkNanoseconds)
                if !hasWork() {
                    _ = gateway_membarrier()
                    if !hasWork() { sleep(timeoutNanoseconds - Self.shortParkNanoseconds) }
                }
            } else {
                sleep(timeoutNanoseconds)
            }
        }
        parked.store(false, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
    }

    /// Waits on the condition, with the mutex held, for at most `nanoseconds` or until rung.
    private func sleep(_ nanoseconds: UInt64) {
        var deadline = timespec()
        #if canImport(Glibc)
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        #else
        clock_gettime(CLOCK_REALTIME, &deadline)
        #endif
        let total = UInt64(deadline.tv_nsec) + nanoseconds
        deadline.tv_sec += Int(total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        _ = pthread_cond_timedwait(condition, mutex, &deadline)
    }

    /// Wakes the consumer unconditionally (shutdown, control messages).
    public func wake() {
        pthread_mutex_lock(mutex)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }
}
