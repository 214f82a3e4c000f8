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

/// Runs the queued transfer jobs as ``TransferJobScheduler`` decides (SPEC T1, T3, T4, C6,
/// C7) and says why every other job waits.
///
/// A job's end (installed, or failed after the last retry) is written with its report to
/// the distribution manager in one transaction, so a crash never loses or repeats a report.
/// A job found `running` at start-up was cut off by a crash and is queued again; the DP's
/// "missing chunks" answer makes the new attempt push only what did not arrive. A job that
/// is stopped on purpose (window closed, preempted) goes back to the queue without counting
/// an attempt. Every decision is one line in pkgxfermgr.log with job, content and DP (T6).
/// Each attempt's time goes to ``attemptDurationMetric``, labelled by how it ended.
final class TransferWorker: Service, Sendable {
    static let distributionManagerPeer = "distribution-manager"
    /// The histogram of transfer attempts' durations; `outcome` is installed, retry or failed.
    static let attemptDurationMetric = "ferry_ptm_transfer_duration_seconds"
    /// The priority of a DP the site has not described yet (every new DP's, SPEC C7).
    static let defaultDistributionPointPriority = DistributionPointPolicy.defaultPriority

    typealias ExecutorFactory = @Sendable (TransferJob, DistributionPointThrottle, JobControl,
                                           @escaping @Sendable (TransferExecutor.Progress) async -> Void) -> TransferExecutor

    private struct RunningJob: Sendable {
        var job: TransferScheduleEntry
        let control: JobControl
    }

    /// A job as the scheduler sees it, with what status lines need.
    typealias TransferScheduleEntry = TransferJobScheduler.Job

    let database: ServiceDatabase
    let clock: any ServiceClock
    let calendar: Calendar
    let executorFactory: ExecutorFactory
    let metrics: ServiceMetrics
    let retry: RetrySettings
    let scheduler: TransferJobScheduler
    let node: String
    let logger: Logger
    let pump: OutboxPump
    let reportProgress: @Sendable (TransferProgress) async -> Void
    private let running = Mutex([String: RunningJob]())
    private let policies = Mutex([String: DistributionPointPolicy]())
    private let throttles = Mutex([String: DistributionPointThrottle]())
    /// The last status line sent per job, so a wait is reported when it changes only.
    private let explained = Mutex([String: String]())
    private let signal = WakeSignal()

    init(database: ServiceDatabase, clock: any ServiceClock, timeZone: TimeZone, executorFactory: @escaping ExecutorFactory,
         retry: RetrySettings, scheduler: TransferJobScheduler, node: String, logger: Logger, pump: OutboxPump, metrics: ServiceMetrics,
         reportProgress: @escaping @Sendable (TransferProgress) async -> Void) {
        self.database = database
        self.clock = clock
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        self.executorFactory = executorFactory
        self.metrics = metrics
        self.retry = retry
        self.scheduler = scheduler
        self.node = node
        self.logger = logger
        self.pump = pump
        self.reportProgress = reportProgress
    }

    func wake() { signal.wake() }

    func run() async throws {
        let resumed = try await database.write { db -> Int in
            try db.execute(sql: "UPDATE transferJob SET state = ? WHERE state = ?", arguments: [JobState.queued.rawValue, JobState.running.rawValue])
            return db.changesCount
        }
        if resumed > 0 { logger.info("resuming \(resumed) job(s) interrupted by a restart") }
        try await reloadPolicies()
        // On SIGTERM, running attempts are cancelled (their HTTP transfers abort) and left
        // `running`, so the next start resumes them instead of waiting for them to finish.
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                while !Task.isCancelled {
                    for (record, control) in await self.tick() {
                        group.addTask { await self.runAttempt(record, control: control) }
                    }
                    await self.signal.idle()
                }
            }
        }
    }

    // MARK: Policies from the site

    /// Applies the site's policy changes inside the command's inbox transaction: newer DP
    /// policies kept, removed DPs' queued jobs cancelled, contents re-ranked.
    func apply(_ update: TransferPolicyUpdate, _ db: Database) throws {
        for policy in update.policies {
            guard policy.schedule.isWellFormed, policy.rateLimit.isWellFormed else {
                throw WireError(code: .invalidArgument, message: "the policy for DP \(policy.name) has a malformed schedule or rate limit")
            }
            if let held = try DistributionPointPolicyRecord.fetchOne(db, key: policy.name), held.revision >= policy.revision { continue }
            try DistributionPointPolicyRecord(policy).save(db)
        }
        for name in update.removedDistributionPoints {
            _ = try DistributionPointPolicyRecord.deleteOne(db, key: name)
            try db.execute(sql: "UPDATE transferJob SET state = ?, lastError = ?, updatedAt = ? WHERE distributionPoint = ? AND state = ?",
                           arguments: [JobState.cancelled.rawValue, "the DP was removed from the site", clock.now.timeIntervalSince1970,
                                       name, JobState.queued.rawValue])
        }
        for change in update.contentPriorities {
            try db.execute(sql: "UPDATE transferJob SET priorityRank = ? WHERE contentName = ? AND state IN (?, ?)",
                           arguments: [TransferJobScheduler.rank(change.priority), change.content,
                                       JobState.queued.rawValue, JobState.running.rawValue])
        }
    }

    /// After the update committed: new limits in force, removed DPs' running jobs stopped.
    func applied(_ update: TransferPolicyUpdate) async {
        do { try await reloadPolicies() } catch {
            logger.error("cannot read the DP policies", metadata: ["error": "\(error)"])
        }
        running.withLock { jobs in
            for (id, entry) in jobs {
                if update.removedDistributionPoints.contains(entry.job.distributionPoint) {
                    entry.control.interrupt(.cancelled("the DP was removed from the site"))
                }
                if let change = update.contentPriorities.first(where: { $0.content == entry.job.content }) {
                    jobs[id]?.job.priority = change.priority
                }
            }
        }
        for policy in update.policies {
            logger.info("DP policy", metadata: ["dp": "\(policy.name)", "revision": "\(policy.revision)",
                                                "on-site-server": "\(policy.onSiteServer)", "schedule": "\(policy.schedule.rules.joined(separator: "; "))",
                                                "rate": "\(policy.rateLimit.text)", "priority": "\(policy.priority)"])
        }
        for change in update.contentPriorities {
            logger.info("content priority changed", metadata: ["content": "\(change.content)", "priority": "\(change.priority.rawValue)"])
        }
        wake()
    }

    private func reloadPolicies() async throws {
        let loaded = try await database.read { db in try DistributionPointPolicyRecord.fetchAll(db).map { try $0.decoded() } }
        let byName = Dictionary(loaded.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        policies.withLock { $0 = byName }
        let throttles = throttles.withLock { $0 }
        for (name, throttle) in throttles {
            await throttle.update(byName[name]?.effectiveRateLimit ?? .unlimited)
        }
    }

    private func policy(_ distributionPoint: String) -> DistributionPointPolicy? {
        policies.withLock { $0[distributionPoint] }
    }

    private func window(_ distributionPoint: String) -> TransferWindow {
        TransferWindow(schedule: policy(distributionPoint)?.effectiveSchedule ?? .alwaysOpen, calendar: calendar)
    }

    private func throttle(_ distributionPoint: String) -> DistributionPointThrottle {
        let limit = policy(distributionPoint)?.effectiveRateLimit ?? .unlimited
        return throttles.withLock { throttles in
            if let held = throttles[distributionPoint] { return held }
            let made = DistributionPointThrottle(limit: limit, clock: clock, calendar: calendar)
            throttles[distributionPoint] = made
            return made
        }
    }

    // MARK: Jobs from the site

    /// Queues a job; runs inside the command's inbox transaction. A queued job for the same
    /// content and DP (an older version) is cancelled: the new version replaces it.
    func accept(_ job: TransferJob, _ db: Database) throws {
        guard try !TransferJobRecord.exists(db, key: job.jobID.uuidString) else { return }
        try db.execute(sql: "UPDATE transferJob SET state = ?, lastError = ?, updatedAt = ? WHERE contentName = ? AND distributionPoint = ? AND state = ?",
                       arguments: [JobState.cancelled.rawValue, "superseded by version \(job.version)", clock.now.timeIntervalSince1970,
                                   job.contentName, job.distributionPoint.name, JobState.queued.rawValue])
        try TransferJobRecord(job: job, now: clock.now).insert(db)
    }

    /// Cancels the queued standard jobs of a content on a DP (the DP now pulls it).
    func cancelQueued(content: String, distributionPoint: String, reason: String, _ db: Database) throws {
        try db.execute(sql: "UPDATE transferJob SET state = ?, lastError = ?, updatedAt = ? WHERE contentName = ? AND distributionPoint = ? AND state = ?",
                       arguments: [JobState.cancelled.rawValue, reason, clock.now.timeIntervalSince1970, content, distributionPoint,
                                   JobState.queued.rawValue])
    }

    /// After a job committed: a running attempt for an older version of it stops.
    func accepted(_ job: TransferJob) {
        running.withLock { jobs in
            for (id, entry) in jobs where id != job.jobID.uuidString
                && entry.job.content == job.contentName && entry.job.distributionPoint == job.distributionPoint.name {
                entry.control.interrupt(.cancelled("superseded by version \(job.version)"))
            }
        }
        wake()
    }

    // MARK: Scheduling

    /// Decides, stops what must stop, claims what starts, and explains the rest.
    private func tick() async -> [(TransferJobRecord, JobControl)] {
        let now = clock.now
        let queued: [TransferScheduleEntry]
        do {
            queued = try await database.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT jobID, contentName, distributionPoint, priorityRank, createdAt, nextAttemptAt, attempts
                    FROM transferJob WHERE state = ?
                    """, arguments: [JobState.queued.rawValue]).map { row in
                    TransferScheduleEntry(jobID: row["jobID"], content: row["contentName"], priority: Self.priority(rank: row["priorityRank"]),
                                          distributionPoint: row["distributionPoint"], distributionPointPriority: 0,
                                          createdAt: row["createdAt"], nextAttemptAt: row["nextAttemptAt"], attempts: row["attempts"])
                }
            }
        } catch {
            logger.error("cannot read the job queue", metadata: ["error": "\(error)"])
            return []
        }
        let withPriorities = queued.map { entry -> TransferScheduleEntry in
            var entry = entry
            entry.distributionPointPriority = policy(entry.distributionPoint)?.priority ?? Self.defaultDistributionPointPriority
            return entry
        }
        let runningNow = running.withLock { $0 }
        let stopping = Set(runningNow.filter { $0.value.control.interruption != nil }.keys)
        let decision = scheduler.decide(queued: withPriorities, running: runningNow.values.map(\.job), stopping: stopping, now: now,
                                        isOpen: { self.window($0).isOpen(for: $1, at: now) },
                                        nextOpening: { self.window($0).nextOpening(for: $1, after: now) })
        for (jobID, stop) in decision.stop {
            guard let entry = runningNow[jobID] else { continue }
            switch stop {
            case .windowClosed(let until): entry.control.interrupt(.windowClosed(until: until))
            case .preempted(let by): entry.control.interrupt(.preempted(by: by))
            }
            logger.entry(entry.job).info("stopping at the next block", metadata: ["reason": "\(describe(stop, distributionPoint: entry.job.distributionPoint))"])
        }
        await explain(decision.waiting, among: withPriorities)
        guard !decision.start.isEmpty else { return [] }
        do {
            let claimed = try await database.write { db -> [TransferJobRecord] in
                var claimed: [TransferJobRecord] = []
                for jobID in decision.start {
                    guard var record = try TransferJobRecord.fetchOne(db, key: jobID), record.state == .queued else { continue }
                    record.state = .running
                    record.attempts += 1
                    record.updatedAt = now.timeIntervalSince1970
                    try record.update(db)
                    claimed.append(record)
                }
                return claimed
            }
            let entries = Dictionary(withPriorities.map { ($0.jobID, $0) }, uniquingKeysWith: { $1 })
            return running.withLock { jobs in
                claimed.compactMap { record in
                    guard let entry = entries[record.jobID] else { return nil }
                    let control = JobControl()
                    jobs[record.jobID] = RunningJob(job: entry, control: control)
                    return (record, control)
                }
            }
        } catch {
            logger.error("cannot claim jobs", metadata: ["error": "\(error)"])
            return []
        }
    }

    /// Sends the site a status line for each waiting job whose reason changed, and logs it.
    private func explain(_ waiting: [String: TransferJobScheduler.Wait], among queued: [TransferScheduleEntry]) async {
        let byID = Dictionary(queued.map { ($0.jobID, $0) }, uniquingKeysWith: { $1 })
        var changed: [(String, String)] = []
        explained.withLock { explained in
            for (jobID, wait) in waiting {
                guard let entry = byID[jobID] else { continue }
                let text = describe(wait, distributionPoint: entry.distributionPoint)
                if explained[jobID] != text {
                    explained[jobID] = text
                    changed.append((jobID, text))
                }
            }
        }
        guard !changed.isEmpty else { return }
        for (jobID, text) in changed.sorted(by: { $0.0 < $1.0 }) {
            guard let record = try? await database.read({ db in try TransferJobRecord.fetchOne(db, key: jobID) }),
                  let job = try? record.decodedJob() else { continue }
            logger.job(job).info("waiting", metadata: ["reason": "\(text)"])
            await reportProgress(TransferProgress(jobID: job.jobID, distributionPoint: job.distributionPoint.name, versionID: job.versionID,
                                                  bytesDone: 0, bytesTotal: job.totalBytes, attempt: record.attempts,
                                                  lastError: record.lastError, nextAttemptAt: nil, running: false, explanation: text))
        }
    }

    func describe(_ wait: TransferJobScheduler.Wait, distributionPoint: String) -> String {
        let window = window(distributionPoint)
        switch wait {
        case .retry(let attempt, let at):
            return "retry \(attempt + 1) of \(retry.maximumAttempts) at \(window.describe(at))"
        case .windowClosed(let until):
            return until.map { "window closed until \(window.describe($0))" } ?? "window closed all week: the DP's schedule admits no transfer of this priority"
        case .contentLimit(let ahead):
            return "queued behind \(ahead) job(s) of higher or equal priority (at most \(scheduler.maximumContents) contents at once)"
        case .distributionPointLimit(let count):
            return "queued: this content is being sent to \(count) DPs, the most at once"
        case .preempting(let content):
            return "waiting for lower-priority '\(content)' to stop at its next block"
        }
    }

    private func describe(_ stop: TransferJobScheduler.Stop, distributionPoint: String) -> String {
        switch stop {
        case .windowClosed(let until): describe(TransferJobScheduler.Wait.windowClosed(until: until), distributionPoint: distributionPoint)
        case .preempted(let by): "preempted by higher-priority '\(by)'"
        }
    }

    static func priority(rank: Int) -> Priority {
        Priority.allCases.indices.contains(rank) ? Priority.allCases[rank] : .medium
    }

    // MARK: Attempts

    private func runAttempt(_ record: TransferJobRecord, control: JobControl) async {
        defer {
            running.withLock { _ = $0.removeValue(forKey: record.jobID) }
            explained.withLock { _ = $0.removeValue(forKey: record.jobID) }
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
        let throttle = throttle(job.distributionPoint.name)
        let limit = await throttle.limitDescription
        log.info("attempt \(record.attempts) started", metadata: ["bytes": "\(job.totalBytes)", "chunks": "\(job.chunkCount)",
                                                                  "priority": "\(job.priority.rawValue)", "rate": "\(limit)"])
        let started = ContinuousClock.now
        let recordDuration = { [metrics] (outcome: String) in
            metrics.timer(Self.attemptDurationMetric, labels: [("outcome", outcome)]).record(duration: started.duration(to: .now))
        }
        let progress: @Sendable (TransferExecutor.Progress) async -> Void = { [reportProgress] step in
            let rate = step.seconds > 0 ? Double(step.bytesSent) / step.seconds : 0
            let eta = rate > 0 ? Double(step.bytesTotal - step.bytesDone) / rate : nil
            var text = String(format: "sending at %.1f MB/s", rate / 1_000_000)
            if let eta { text += ", about \(Self.duration(eta)) left" }
            if limit != "unlimited" { text += " (rate-limited: \(limit))" }
            await reportProgress(TransferProgress(jobID: job.jobID, distributionPoint: job.distributionPoint.name, versionID: job.versionID,
                                                  bytesDone: step.bytesDone, bytesTotal: step.bytesTotal, attempt: record.attempts,
                                                  lastError: nil, nextAttemptAt: nil, running: true, explanation: text, etaSeconds: eta))
        }
        do {
            let outcome = try await executorFactory(job, throttle, control, progress).execute(job)
            recordDuration("installed")
            metrics.counter("ferry_ptm_pushed_bytes_total", labels: [("dp", job.distributionPoint.name)]).increment(by: outcome.bytesPushed)
            metrics.counter("ferry_ptm_jobs_total", labels: [("outcome", "installed")]).increment()
            let seconds = started.duration(to: .now).timeInterval
            try await finish(record, job: job, outcome: .installed, pushed: outcome, reason: nil, seconds: seconds)
            log.info("job done", metadata: ["outcome": "installed", "bytes-pushed": "\(outcome.bytesPushed)",
                                            "chunks-pushed": "\(outcome.chunksPushed)", "chunks-skipped": "\(outcome.chunksSkipped)",
                                            "seconds": "\(String(format: "%.2f", seconds))"])
        } catch {
            if Task.isCancelled || Task.isShuttingDownGracefully {
                // Shutting down: leave the job running; the next start queues it again.
                log.info("attempt interrupted by shutdown; will resume on restart")
                return
            }
            if let interruption = control.interruption {
                await stopped(record, job: job, interruption, log: log)
                return
            }
            await failed(record, job: job, reason: "\(error)", log: log, recordDuration: recordDuration)
        }
    }

    /// A job stopped on purpose: back in the queue without counting the attempt, or cancelled.
    private func stopped(_ record: TransferJobRecord, job: TransferJob, _ interruption: JobControl.Interruption, log: Logger) async {
        let now = clock.now.timeIntervalSince1970
        do {
            try await database.write { db in
                guard var updated = try TransferJobRecord.fetchOne(db, key: record.jobID) else { return }
                switch interruption {
                case .windowClosed, .preempted:
                    updated.state = .queued
                    updated.attempts = max(0, updated.attempts - 1)
                    updated.nextAttemptAt = now
                case .cancelled(let reason):
                    updated.state = .cancelled
                    updated.lastError = reason
                }
                updated.updatedAt = now
                try updated.update(db)
            }
        } catch {
            log.error("cannot record the stopped attempt", metadata: ["error": "\(error)"])
        }
        switch interruption {
        case .windowClosed(let until):
            log.info("stopped: window closed; what the DP holds is kept", metadata: ["until": "\(until.map(window(job.distributionPoint.name).describe) ?? "never")"])
        case .preempted(let by):
            log.info("stopped: preempted; what the DP holds is kept", metadata: ["by": "\(by)"])
        case .cancelled(let reason):
            log.info("cancelled", metadata: ["reason": "\(reason)"])
        }
    }

    private func failed(_ record: TransferJobRecord, job: TransferJob, reason: String, log: Logger,
                        recordDuration: (String) -> Void) async {
        if record.attempts >= retry.maximumAttempts {
            recordDuration("failed")
            metrics.counter("ferry_ptm_jobs_total", labels: [("outcome", "failed")]).increment()
            log.error("job failed", metadata: ["outcome": "failed", "attempts": "\(record.attempts)", "reason": "\(reason)"])
            try? await finish(record, job: job, outcome: .failed, pushed: nil, reason: "failed after \(record.attempts) attempts: \(reason)",
                              seconds: nil)
            return
        }
        recordDuration("retry")
        let next = clock.now.addingTimeInterval(retry.delaySeconds)
        log.warning("attempt \(record.attempts) failed; retrying", metadata: [
            "outcome": "retry", "retry-at": "\(window(job.distributionPoint.name).describe(next))",
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
        let text = describe(.retry(attempt: record.attempts, at: next), distributionPoint: job.distributionPoint.name)
        explained.withLock { $0[record.jobID] = text }
        await reportProgress(TransferProgress(jobID: job.jobID, distributionPoint: job.distributionPoint.name, versionID: job.versionID,
                                              bytesDone: 0, bytesTotal: job.totalBytes, attempt: record.attempts,
                                              lastError: reason, nextAttemptAt: next, running: false, explanation: text))
    }

    private func finish(_ record: TransferJobRecord, job: TransferJob, outcome: TransferOutcome,
                        pushed: TransferExecutor.Outcome?, reason: String?, seconds: Double?) async throws {
        try await database.write { [node] db in
            guard var updated = try TransferJobRecord.fetchOne(db, key: record.jobID), updated.state == .running else { return }
            updated.state = outcome == .installed ? .installed : .failed
            updated.bytesPushed = pushed?.bytesPushed ?? 0
            updated.chunksPushed = pushed?.chunksPushed ?? 0
            updated.chunksSkipped = pushed?.chunksSkipped ?? 0
            updated.lastError = reason
            updated.updatedAt = self.clock.now.timeIntervalSince1970
            try updated.update(db)
            let report = TransferReport(jobID: job.jobID, distributionPoint: job.distributionPoint.name, versionID: job.versionID,
                                        outcome: outcome, bytesPushed: updated.bytesPushed, chunksPushed: updated.chunksPushed,
                                        chunksSkipped: updated.chunksSkipped, attempts: record.attempts, reason: reason,
                                        durationSeconds: seconds)
            try Outbox.enqueue(db, report, to: Self.distributionManagerPeer, sender: node, now: self.clock.now)
        }
        pump.wake()
    }

    /// "2 min 5 s", "40 s".
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole >= 3600 { return "\(whole / 3600) h \(whole % 3600 / 60) min" }
        if whole >= 60 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole) s"
    }
}

extension Logger {
    /// A logger whose lines carry a scheduled job's id, content and DP.
    fileprivate func entry(_ job: TransferJobScheduler.Job) -> Logger {
        var logger = self
        logger[metadataKey: "job"] = "\(job.jobID.prefix(8))"
        logger[metadataKey: "content"] = "\(job.content)"
        logger[metadataKey: "dp"] = "\(job.distributionPoint)"
        return logger
    }
}
