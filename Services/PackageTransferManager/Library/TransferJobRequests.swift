import Bus
import Logging
import Messages
import Store

/// The bus face of the PTM: the distribution manager's transfer jobs, each queued once.
struct TransferJobRequests: Sendable {
    let worker: TransferWorker
    let database: ServiceDatabase
    let logger: Logger

    func register(on dispatcher: inout BusDispatcher) {
        let worker = worker, logger = logger, clock = dispatcher.clock
        dispatcher.onCommand(TransferJob.self, database: database) { job, _, db in
            try TransferWorker.accept(job, db, now: clock.now)
            return .applied
        } afterCommit: { job in
            logger.job(job).info("job received", metadata: ["bytes": "\(job.totalBytes)", "redistribute": "\(job.redistribute)"])
            worker.wake()
        }
    }
}
