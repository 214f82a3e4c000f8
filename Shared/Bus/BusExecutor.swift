import Foundation

/// The threads bus handlers run on, apart from Swift's cooperative pool.
///
/// A request's handler must not wait for a cooperative thread: on a two-core machine the
/// pool has two, and anything holding them (a long hash, a blocking call in a test) would
/// leave replies unsent until the requester's deadline has passed. Handlers started with
/// this executor as their preference run here, default actors they call included, so the
/// inbox keeps answering however busy the rest of the process is.
public final class BusExecutor: TaskExecutor, @unchecked Sendable {
    /// The process's one instance, shared by every ``BusServer``.
    public static let shared = BusExecutor(threadCount: max(4, ProcessInfo.processInfo.activeProcessorCount * 2))

    // `queue` is guarded by `condition`; the threads run for the life of the process.
    private let condition = NSCondition()
    private var queue: [UnownedJob] = []
    private var queueHead = 0

    init(threadCount: Int) {
        for index in 0..<threadCount {
            let thread = Thread { [self] in runJobs() }
            thread.name = "bus-handler-\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    private func runJobs() {
        while true {
            condition.lock()
            while queueHead == queue.count { condition.wait() }
            let job = queue[queueHead]
            queueHead += 1
            if queueHead > 1024, queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
