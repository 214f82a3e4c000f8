import Bus
import Logging
import Messages
import Store

/// The bus face of the PTM: the distribution manager's transfer jobs (each queued once) and
/// its policy changes.
struct TransferJobRequests: Sendable {
    let worker: TransferWorker
    let pulls: PullJobSupervisor
    let validations: ValidationRunner
    let retirements: RetirementRunner
    let prestaged: PrestagedWaiter
    let database: ServiceDatabase
    let logger: Logger

    func register(on dispatcher: inout BusDispatcher) {
        let worker = worker, pulls = pulls, validations = validations, retirements = retirements, prestaged = prestaged, logger = logger
        dispatcher.onCommand(VersionRetirementJob.self, database: database) { job, _, db in
            try RetirementRunner.accept(job, db, now: worker.clock.now)
            return .applied
        } afterCommit: { job in
            logger.info("retirement job received", metadata: ["content": "\(job.contentName)", "dp": "\(job.distributionPoint.name)",
                                                              "versions": "\(job.versionIDs.count)"])
            retirements.wake()
        }
        dispatcher.onCommand(ValidationJob.self, database: database) { job, _, db in
            try ValidationRunner.accept(job, db, now: worker.clock.now)
            return .applied
        } afterCommit: { job in
            logger.info("validation job received", metadata: ["content": "\(job.contentName)", "dp": "\(job.distributionPoint.name)"])
            validations.wake()
        }
        dispatcher.onCommand(TransferJob.self, database: database) { job, _, db in
            // Any kind of job replaces an older one of another kind (the DP was made a pull DP, or a
            // standard one again, or enabled for prestaged content).
            if job.awaitPrestaged == true {
                try worker.cancelQueued(content: job.contentName, distributionPoint: job.distributionPoint.name,
                                        reason: "superseded by version \(job.version) (prestaged)", db)
                try PullJobSupervisor.cancel(content: job.contentName, distributionPoint: job.distributionPoint.name,
                                             reason: "superseded by version \(job.version) (prestaged)", db, now: worker.clock.now)
                try PrestagedWaiter.accept(job, db, now: worker.clock.now)
            } else if job.pullSources != nil {
                try PrestagedWaiter.cancel(content: job.contentName, distributionPoint: job.distributionPoint.name, db)
                try worker.cancelQueued(content: job.contentName, distributionPoint: job.distributionPoint.name,
                                        reason: "superseded by version \(job.version) (pull)", db)
                try PullJobSupervisor.accept(job, db, now: worker.clock.now)
            } else {
                try PrestagedWaiter.cancel(content: job.contentName, distributionPoint: job.distributionPoint.name, db)
                try PullJobSupervisor.cancel(content: job.contentName, distributionPoint: job.distributionPoint.name,
                                             reason: "superseded by version \(job.version)", db, now: worker.clock.now)
                try worker.accept(job, db)
            }
            return .applied
        } afterCommit: { job in
            logger.job(job).info("job received", metadata: ["bytes": "\(job.totalBytes)", "redistribute": "\(job.redistribute)",
                                                            "priority": "\(job.priority.rawValue)",
                                                            "pull-sources": "\(job.pullSources.map { $0.map(\.name).joined(separator: ",") } ?? "-")"])
            if job.awaitPrestaged == true { prestaged.wake() }
            if job.pullSources != nil { pulls.wake() }
            // Interrupts a running push of an older version to the DP, whatever kind this job is.
            worker.accepted(job)
        }
        dispatcher.onCommand(TransferPolicyUpdate.self, database: database) { update, _, db in
            try worker.apply(update, db)
            for name in update.removedDistributionPoints {
                try PullJobSupervisor.cancel(content: nil, distributionPoint: name, reason: "the DP was removed from the site", db,
                                             now: worker.clock.now)
                try PrestagedWaiter.cancel(content: nil, distributionPoint: name, db)
            }
            return .applied
        } afterCommit: { update in
            await worker.applied(update)
        }
        dispatcher.onCommand(PullStatusNotice.self, database: database) { notice, _, db in
            try pulls.noticed(notice, db) ? .applied : .skipped("no pull job waits for this notice")
        } afterCommit: { notice in
            logger.info("pull DP status reached the site", metadata: ["job": "\(notice.jobID.uuidString.prefix(8))", "state": "\(notice.state.rawValue)"])
            pulls.wake()
        }
    }
}
