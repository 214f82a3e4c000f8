#if canImport(Glibc)
import Glibc
#endif

/// A mutex and condition variable whose timed waits run on the monotonic clock.
///
/// NORM's send and flush waits are transport timeouts: Foundation's `NSCondition` takes a
/// wall-clock limit, which would tie them to (and let a clock step disturb them through) the
/// system time. The mutex and condition live on the heap so their addresses stay fixed.
final class MonotonicCondition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits (the lock held) until signalled or `seconds` pass; false on timeout.
    @discardableResult
    func wait(seconds: Double) -> Bool {
        var limit = timespec()
        clock_gettime(CLOCK_MONOTONIC, &limit)
        let nanoseconds = Int(limit.tv_nsec) + Int(max(0, seconds) * 1e9)
        limit.tv_sec += nanoseconds / 1_000_000_000
        limit.tv_nsec = nanoseconds % 1_000_000_000
        return pthread_cond_timedwait(condition, mutex, &limit) == 0
    }
}
