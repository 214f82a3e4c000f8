import Bus
import Logging
import Messages
import Store

/// The bus face of the PTM: the distribution manager's transfer jobs (each queued once) and
/// its policy changes.
struct TransferJobRequests: Sendable {
    let worker: TransferWorker
    let database: ServiceDatabase
    let logger: Logger

    func register(on dispatcher: inout BusDispatcher) {
        let worker = worker, logger = logger
        dispatcher.onCommand(TransferJob.self, database: database) { job, _, db in
            try worker.accept(job, db)
            return .applied
        } afterCommit: { job in
            logger.job(job).info("job received", metadata: ["bytes": "\(job.totalBytes)", "redistribute": "\(job.redistribute)",
                                                            "priority": "\(job.priority.rawValue)"])
            worker.accepted(job)
        }
        dispatcher.onCommand(TransferPolicyUpdate.self, database: database) { update, _, db in
            try worker.apply(update, db)
            return .applied
        } afterCommit: { update in
            await worker.applied(update)
        }
    }
}
