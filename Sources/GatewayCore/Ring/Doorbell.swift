import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wakes a parked consumer when a producer pushes: the pipeline's way to idle without burning a core.
///
/// The consumer announces it is parked, re-checks its rings, and only then sleeps; a producer
/// publishes its item, then looks at the announcement. Both steps are sequentially consistent,
/// so one of them always sees the other and no wake-up is lost. The sleep also has a timeout,
/// which bounds the cost of any mistake to one timeout.
public final class Doorbell: @unchecked Sendable {
    private let parked = Atomic<Bool>(false)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let rings = Atomic<UInt64>(0)

    /// Creates a doorbell.
    public init() {
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
            var deadline = timespec()
            #if canImport(Glibc)
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            #else
            clock_gettime(CLOCK_REALTIME, &deadline)
            #endif
            let total = UInt64(deadline.tv_nsec) + timeoutNanoseconds
            deadline.tv_sec += Int(total / 1_000_000_000)
            deadline.tv_nsec = Int(total % 1_000_000_000)
            _ = pthread_cond_timedwait(condition, mutex, &deadline)
        }
        parked.store(false, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
    }

    /// Wakes the consumer unconditionally (shutdown, control messages).
    public func wake() {
        pthread_mutex_lock(mutex)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }
}
