import Clocks
import Bus
import Foundation
import GRDB
import Logging
import Messages
import Metrics
import ServiceLifecycle
import ServiceKit
import Store

/// Runs queued transfer jobs, at most N at once, highest priority first (SPEC T1, T4, C6).
///
/// A job's end (installed, or failed after the last retry) is written with its report to
/// the distribution manager in one transaction, so a crash never loses or repeats a report.
/// A job found `running` at start-up was cut off by a crash and is queued again; the DP's
/// "missing chunks" answer makes the new attempt push only what did not arrive.
/// Each attempt's time goes to ``attemptDurationMetric``, labelled by how it ended.
final class TransferWorker: Service, Sendable {
    static let distributionManagerPeer = "distribution-manager"
    /// The histogram of transfer attempts' durations; `outcome` is installed, retry or failed.
    static let attemptDurationMetric = "ferry_ptm_transfer_duration_seconds"

    let database: ServiceDatabase
    let clock: any ServiceClock
    let executorFactory: @Sendable (TransferJob) -> TransferExecutor
    let metrics: ServiceMetrics
    let retry: RetrySettings
    let maximumConcurrentJobs: Int
    let node: String
    let logger: Logger
    let pump: OutboxPump
    let reportProgress: @Sendable (TransferProgress) async -> Void
    private let running = Mutex(Set<String>())
    private let woken = Mutex(false)

    init(database: ServiceDatabase, clock: any ServiceClock, executorFactory: @escaping @Sendable (TransferJob) -> TransferExecutor, retry: RetrySettings,
         maximumConcurrentJobs: Int, node: String, logger: Logger, pump: OutboxPump, metrics: ServiceMetrics,
         reportProgress: @escaping @Sendable (TransferProgress) async -> Void) {
        self.database = database
        self.clock = clock
        self.executorFactory = executorFactory
        self.metrics = metrics
        self.retry = retry
        self.maximumConcurrentJobs = maximumConcurrentJobs
        self.node = node
        self.logger = logger
        self.pump = pump
        self.reportProgress = reportProgress
    }

    func wake() {
        woken.withLock { $0 = true }
    }

    /// Queues a job; runs inside the command's inbox transaction.
    static func accept(_ job: TransferJob, _ db: Database, now: Date) throws {
        guard try !TransferJobRecord.exists(db, key: job.jobID.uuidString) else { return }
        try TransferJobRecord(job: job, now: now).insert(db)
    }

    func run() async throws {
        let resumed = try await database.write { db -> Int in
            try db.execute(sql: "UPDATE transferJob SET state = ? WHERE state = ?", arguments: [JobState.queued.rawValue, JobState.running.rawValue])
            return db.changesCount
        }
        if resumed > 0 { logger.info("resuming \(resumed) job(s) interrupted by a restart") }
        // On SIGTERM, running attempts are cancelled (their HTTP transfers abort) and left
        // `running`, so the next start resumes them instead of waiting for them to finish.
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                while !Task.isCancelled {
                    for record in await self.claimDue() {
                        group.addTask { await self.runAttempt(record) }
                    }
                    await self.idle()
                }
            }
        }
    }

    private func idle() async {
        for _ in 0..<10 {
            if woken.withLock({ flag in defer { flag = false }; return flag }) { return }
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    private func claimDue() async -> [TransferJobRecord] {
        let runningCount = running.withLock { $0.count }
        guard runningCount < maximumConcurrentJobs else { return [] }
        let now = self.clock.now
        let scheduler = TransferJobScheduler(maximumConcurrentJobs: maximumConcurrentJobs)
        do {
            let claimed = try await database.write { db -> [TransferJobRecord] in
                let queued = try Row.fetchAll(db, sql: "SELECT jobID, priorityRank, createdAt, nextAttemptAt FROM transferJob WHERE state = ?",
                                              arguments: [JobState.queued.rawValue]).map { row in
                    TransferJobScheduler.Candidate(jobID: row["jobID"], priorityRank: row["priorityRank"],
                                                   createdAt: row["createdAt"], nextAttemptAt: row["nextAttemptAt"])
                }
                var claimed: [TransferJobRecord] = []
                for jobID in scheduler.next(queued: queued, running: runningCount, now: now) {
                    guard var record = try TransferJobRecord.fetchOne(db, key: jobID) else { continue }
                    record.state = .running
                    record.attempts += 1
                    record.updatedAt = now.timeIntervalSince1970
                    try record.update(db)
                    claimed.append(record)
                }
                return claimed
            }
            running.withLock { set in for record in claimed { set.insert(record.jobID) } }
            return claimed
        } catch {
            logger.error("cannot read the job queue", metadata: ["error": "\(error)"])
            return []
        }
    }

    private func runAttempt(_ record: TransferJobRecord) async {
        defer {
            running.withLock { _ = $0.remove(record.jobID) }
            wake()
        }
        let job: TransferJob
        do {
            job = try record.decodedJob()
        } catch {
            logger.error("dropping an unreadable job", metadata: ["job": "\(record.jobID)", "error": "\(error)"])
            try? await database.write { db in _ = try TransferJobRecord.deleteOne(db, key: record.jobID) }
            return
        }
        let log = logger.job(job)
        log.info("attempt \(record.attempts) started", metadata: ["bytes": "\(job.totalBytes)", "chunks": "\(job.chunkCount)", "priority": "\(job.priority.rawValue)"])
        let started = ContinuousClock.now
        let recordDuration = { [metrics] (outcome: String) in
            metrics.timer(Self.attemptDurationMetric, labels: [("outcome", outcome)]).record(duration: started.duration(to: .now))
        }
        do {
            let outcome = try await executorFactory(job).execute(job)
            recordDuration("installed")
            metrics.counter("ferry_ptm_pushed_bytes_total", labels: [("dp", job.distributionPoint.name)]).increment(by: outcome.bytesPushed)
            metrics.counter("ferry_ptm_jobs_total", labels: [("outcome", "installed")]).increment()
            try await finish(record, job: job, outcome: .installed, pushed: outcome, reason: nil)
            log.info("job done", metadata: ["outcome": "installed", "bytes-pushed": "\(outcome.bytesPushed)",
                                            "chunks-pushed": "\(outcome.chunksPushed)", "chunks-skipped": "\(outcome.chunksSkipped)"])
        } catch {
            let reason = "\(error)"
            if Task.isCancelled || Task.isShuttingDownGracefully {
                // Shutting down: leave the job running; the next start queues it again.
                log.info("attempt interrupted by shutdown; will resume on restart")
                return
            }
            if record.attempts >= retry.maximumAttempts {
                recordDuration("failed")
                metrics.counter("ferry_ptm_jobs_total", labels: [("outcome", "failed")]).increment()
                log.error("job failed", metadata: ["outcome": "failed", "attempts": "\(record.attempts)", "reason": "\(reason)"])
                try? await finish(record, job: job, outcome: .failed, pushed: nil, reason: "failed after \(record.attempts) attempts: \(reason)")
                return
            }
            recordDuration("retry")
            let delay = retry.delay(afterAttempt: record.attempts)
            let next = clock.now.addingTimeInterval(delay)
            log.warning("attempt \(record.attempts) failed; retrying", metadata: [
                "outcome": "retry", "retry-in": "\(String(format: "%.0f", delay))s",
                "attempts-left": "\(retry.maximumAttempts - record.attempts)", "reason": "\(reason)"])
            do {
                try await database.write { db in
                    var updated = record
                    updated.state = .queued
                    updated.nextAttemptAt = next.timeIntervalSince1970
                    updated.lastError = reason
                    updated.updatedAt = self.clock.now.timeIntervalSince1970
                    try updated.update(db)
                }
            } catch {
                log.error("cannot record the failed attempt", metadata: ["error": "\(error)"])
            }
            await reportProgress(TransferProgress(jobID: job.jobID, distributionPoint: job.distributionPoint.name, versionID: job.versionID,
                                                  bytesDone: 0, bytesTotal: job.totalBytes, attempt: record.attempts,
                                                  lastError: reason, nextAttemptAt: next))
        }
    }

    private func finish(_ record: TransferJobRecord, job: TransferJob, outcome: TransferOutcome,
                        pushed: TransferExecutor.Outcome?, reason: String?) async throws {
        try await database.write { [node] db in
            var updated = record
            updated.state = outcome == .installed ? .installed : .failed
            updated.bytesPushed = pushed?.bytesPushed ?? 0
            updated.chunksPushed = pushed?.chunksPushed ?? 0
            updated.chunksSkipped = pushed?.chunksSkipped ?? 0
            updated.lastError = reason
            updated.updatedAt = self.clock.now.timeIntervalSince1970
            try updated.update(db)
            let report = TransferReport(jobID: job.jobID, distributionPoint: job.distributionPoint.name, versionID: job.versionID,
                                        outcome: outcome, bytesPushed: updated.bytesPushed, chunksPushed: updated.chunksPushed,
                                        chunksSkipped: updated.chunksSkipped, attempts: record.attempts, reason: reason)
            try Outbox.enqueue(db, report, to: Self.distributionManagerPeer, sender: node, now: self.clock.now)
        }
        pump.wake()
    }
}
