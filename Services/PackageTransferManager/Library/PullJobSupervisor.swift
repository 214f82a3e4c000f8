import Bus
import Clocks
import Foundation
import GRDB
import Logging
import Messages
import ServiceLifecycle
import ServiceKit
import Store
import Synchronization

/// Carries the site's jobs for pull DPs (SPEC T5): copies nothing, checks that a source
/// holds the version, notifies the pull DP, and waits for its status as ``PullJobCycle``
/// says. Pull jobs take no content slot and ignore DP schedules, rate limits and the retry
/// settings (SPEC P4): the pull DP does its own transfer.
///
/// Every step is written before the next is taken, so a restart picks up where it was: a
/// notified job is not notified again (the pull DP keeps it), it is asked about at its time.
/// An end the PTM learns itself is written with its report in one transaction; an end the
/// site already knows (it passed on the pull DP's status) is not reported again.
final class PullJobSupervisor: Service, Sendable {
    typealias DistributionPointClient = @Sendable (_ name: String, _ endpoint: String, _ publicKey: String) throws -> BusClient

    let database: ServiceDatabase
    let clock: any ServiceClock
    let calendar: Calendar
    let cycle: PullJobCycle
    let node: String
    let logger: Logger
    let pump: OutboxPump
    let requestTimeout: Duration
    let distributionPoint: DistributionPointClient
    let reportProgress: @Sendable (TransferProgress) async -> Void
    private let signal = WakeSignal()

    init(database: ServiceDatabase, clock: any ServiceClock, timeZone: TimeZone, cycle: PullJobCycle, node: String, logger: Logger,
         pump: OutboxPump, requestTimeout: Duration, distributionPoint: @escaping DistributionPointClient,
         reportProgress: @escaping @Sendable (TransferProgress) async -> Void) {
        self.database = database
        self.clock = clock
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        self.cycle = cycle
        self.node = node
        self.logger = logger
        self.pump = pump
        self.requestTimeout = requestTimeout
        self.distributionPoint = distributionPoint
        self.reportProgress = reportProgress
    }

    func wake() { signal.wake() }

    // MARK: Jobs and notices from the site

    /// Keeps a pull DP's job; runs in the command's inbox transaction. An older job for the
    /// same content and DP, pull or standard and not yet over, is cancelled: the new one replaces it.
    static func accept(_ job: TransferJob, _ db: Database, now: Date) throws {
        guard try !PullJobRecord.exists(db, key: job.jobID.uuidString) else { return }
        try cancel(content: job.contentName, distributionPoint: job.distributionPoint.name, reason: "superseded by version \(job.version)",
                   db, now: now)
        try PullJobRecord(job: job, now: now).insert(db)
    }

    /// Cancels the pull jobs not yet over for a content (nil: every content) on a DP.
    static func cancel(content: String?, distributionPoint: String, reason: String, _ db: Database, now: Date) throws {
        var sql = "UPDATE pullJob SET phase = ?, note = ?, updatedAt = ? WHERE distributionPoint = ? AND phase IN (?, ?)"
        var arguments: StatementArguments = [PullJobCycle.Phase.cancelled.rawValue, reason, now.timeIntervalSince1970, distributionPoint,
                                             PullJobCycle.Phase.awaitingSource.rawValue, PullJobCycle.Phase.notified.rawValue]
        if let content {
            sql += " AND contentName = ?"
            arguments += [content]
        }
        try db.execute(sql: sql, arguments: arguments)
    }

    /// The site heard from the pull DP: the wait starts again, or the job is over.
    func noticed(_ notice: PullStatusNotice, _ db: Database) throws -> Bool {
        guard var record = try PullJobRecord.fetchOne(db, key: notice.jobID.uuidString), !record.phase.isOver else { return false }
        let step = cycle.afterStatusHeard(notice.state, now: clock.now)
        record.phase = step.phase
        record.nextCheckAt = step.nextCheckAt.timeIntervalSince1970
        record.lastHeardAt = clock.now.timeIntervalSince1970
        record.note = "the pull DP reported \(notice.state.rawValue)"
        record.updatedAt = clock.now.timeIntervalSince1970
        try record.update(db)
        return true
    }

    // MARK: The cycle

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.processDueJobs()
                await self.signal.idle()
            }
        }
    }

    /// Takes every job whose time has come, one step each, side by side.
    func processDueJobs() async {
        let now = clock.now
        let due: [PullJobRecord]
        do {
            due = try await database.read { db in
                try PullJobRecord.filter([PullJobCycle.Phase.awaitingSource.rawValue, PullJobCycle.Phase.notified.rawValue].contains(Column("phase")))
                    .filter(Column("nextCheckAt") <= now.timeIntervalSince1970).fetchAll(db)
            }
        } catch {
            logger.error("cannot read the pull jobs", metadata: ["error": "\(error)"])
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for record in due { group.addTask { await self.step(record) } }
        }
    }

    private func step(_ record: PullJobRecord) async {
        let job: TransferJob
        do { job = try record.decodedJob() } catch {
            logger.error("dropping an unreadable pull job", metadata: ["job": "\(record.jobID)", "error": "\(error)"])
            try? await database.write { db in _ = try PullJobRecord.deleteOne(db, key: record.jobID) }
            return
        }
        switch record.phase {
        case .awaitingSource: await checkSourcesAndNotify(record, job: job)
        case .notified: await poll(record, job: job)
        case .installed, .failed, .cancelled: break
        }
    }

    private func checkSourcesAndNotify(_ record: PullJobRecord, job: TransferJob) async {
        let log = logger.pullJob(job)
        let sources = (job.pullSources ?? []).sorted { ($0.rank, $0.name) < ($1.rank, $1.name) }
        var holders: [String] = []
        var unreachable: [String] = []
        for source in sources {
            do {
                let reply = try await distributionPoint(source.name, source.busEndpoint, source.publicKey)
                    .request(VersionHeldQuery(versionID: job.versionID), timeout: requestTimeout)
                if reply.installed { holders.append(source.name) }
            } catch {
                unreachable.append(source.name)
                log.warning("cannot ask a source whether it holds the version", metadata: ["source": "\(source.name)", "error": "\(error)"])
            }
        }
        let now = clock.now
        let listed = sources.map { "\($0.name):\($0.rank)" }.joined(separator: ", ")
        guard !holders.isEmpty else {
            let step = cycle.afterSourceCheck(anyHolds: false, now: now)
            let text = "no source of this pull DP holds version \(job.version) yet (\(listed))\(unreachable.isEmpty ? "" : "; unreachable: \(unreachable.joined(separator: ", "))"); next check at \(describe(step.nextCheckAt))"
            await save(record, step, note: text)
            log.info("waiting for a source", metadata: ["sources": "\(listed)", "next-check": "\(describe(step.nextCheckAt))"])
            await report(job, running: false, bytesDone: 0, text: text)
            return
        }
        let notification = PullNotification(jobID: job.jobID, contentName: job.contentName, versionID: job.versionID, version: job.version,
                                            totalBytes: job.totalBytes, redistribute: job.redistribute, sources: sources,
                                            differentialBase: job.differentialBase)
        do {
            _ = try await distributionPoint(job.distributionPoint.name, job.distributionPoint.busEndpoint, job.distributionPoint.publicKey)
                .request(notification, timeout: requestTimeout)
        } catch {
            let step = cycle.afterNotificationFailed(now: clock.now)
            let text = "cannot notify the pull DP (\(error)); next try at \(describe(step.nextCheckAt))"
            await save(record, step, note: text)
            log.warning("cannot notify the pull DP", metadata: ["error": "\(error)", "next-try": "\(describe(step.nextCheckAt))"])
            await report(job, running: false, bytesDone: 0, text: text)
            return
        }
        let step = cycle.afterNotified(now: clock.now)
        let text = "notified; the pull DP downloads from its sources (held by \(holders.joined(separator: ", "))); status expected by \(describe(step.nextCheckAt))"
        await save(record, step, note: text)
        log.info("notified the pull DP", metadata: ["held-by": "\(holders.joined(separator: ","))", "redistribute": "\(job.redistribute)",
                                                    "ask-at": "\(describe(step.nextCheckAt))"])
        await report(job, running: true, bytesDone: 0, text: text)
    }

    private func poll(_ record: PullJobRecord, job: TransferJob) async {
        let log = logger.pullJob(job)
        let status: PullJobStatus
        do {
            status = try await distributionPoint(job.distributionPoint.name, job.distributionPoint.busEndpoint, job.distributionPoint.publicKey)
                .request(PullStatusQuery(jobID: job.jobID), timeout: requestTimeout).status
        } catch {
            let step = cycle.afterPollFailed(now: clock.now)
            await save(record, step, note: "the pull DP did not answer (\(error))")
            log.warning("no status from the pull DP, and it does not answer", metadata: ["error": "\(error)", "ask-again-at": "\(describe(step.nextCheckAt))"])
            return
        }
        let step = cycle.afterPoll(status.state, now: clock.now)
        log.info("asked the pull DP", metadata: ["state": "\(status.state.rawValue)", "source": "\(status.source ?? "-")",
                                                 "bytes": "\(status.bytesDone)", "next": "\(step.phase.isOver ? "done" : describe(step.nextCheckAt))"])
        let end: TransferReport? = step.reportsEnd
            ? TransferReport(jobID: job.jobID, distributionPoint: job.distributionPoint.name, versionID: job.versionID,
                             outcome: step.phase == .installed ? .installed : .failed, bytesPushed: 0, chunksPushed: 0, chunksSkipped: 0,
                             attempts: 1, reason: step.phase == .installed ? nil : status.detail)
            : nil
        await save(record, step, note: "asked: \(status.state.rawValue)", report: end)
        if !step.phase.isOver {
            await report(job, running: status.state == .downloading, bytesDone: status.bytesDone,
                         text: "pull DP\(status.source.map { ", from \($0)" } ?? ""): \(status.detail ?? status.state.rawValue) (asked; next question at \(describe(step.nextCheckAt)))")
        }
    }

    /// Writes the step unless the job ended meanwhile (a notice, a cancel); with `report`, in the same transaction.
    private func save(_ record: PullJobRecord, _ step: PullJobCycle.Step, note: String, report: TransferReport? = nil) async {
        do {
            try await database.write { [node, clock] db in
                guard var current = try PullJobRecord.fetchOne(db, key: record.jobID), !current.phase.isOver,
                      current.phase == record.phase else { return }
                current.phase = step.phase
                current.nextCheckAt = step.nextCheckAt.timeIntervalSince1970
                current.note = note
                current.updatedAt = clock.now.timeIntervalSince1970
                try current.update(db)
                if let report { try Outbox.enqueue(db, report, to: TransferWorker.distributionManagerPeer, sender: node, now: clock.now) }
            }
            if report != nil { pump.wake() }
        } catch {
            logger.error("cannot record a pull job's step", metadata: ["job": "\(record.jobID)", "error": "\(error)"])
        }
    }

    private func report(_ job: TransferJob, running: Bool, bytesDone: Int64, text: String) async {
        await reportProgress(TransferProgress(jobID: job.jobID, distributionPoint: job.distributionPoint.name, versionID: job.versionID,
                                              bytesDone: bytesDone, bytesTotal: job.totalBytes, attempt: 1, lastError: nil, nextAttemptAt: nil,
                                              running: running, explanation: text))
    }

    private func describe(_ date: Date) -> String {
        TransferWindow(schedule: .alwaysOpen, calendar: calendar).describe(date)
    }
}

/// One pull DP's job as the PTM keeps it.
struct PullJobRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "pullJob"
    var jobID: String
    var job: Data
    var contentName: String
    var distributionPoint: String
    var phase: PullJobCycle.Phase
    var nextCheckAt: Double
    var lastHeardAt: Double?
    var note: String?
    var createdAt: Double
    var updatedAt: Double

    init(job: TransferJob, now: Date) throws {
        jobID = job.jobID.uuidString
        self.job = try EnvelopeCodec.json(job)
        contentName = job.contentName
        distributionPoint = job.distributionPoint.name
        phase = .awaitingSource
        nextCheckAt = now.timeIntervalSince1970
        createdAt = now.timeIntervalSince1970
        updatedAt = now.timeIntervalSince1970
    }

    func decodedJob() throws -> TransferJob { try EnvelopeCodec.value(TransferJob.self, from: job) }
}

extension Logger {
    /// A logger whose lines carry a pull job's id, content, version and DP.
    fileprivate func pullJob(_ job: TransferJob) -> Logger {
        var logger = self
        logger[metadataKey: "job"] = "\(job.jobID.uuidString.prefix(8))"
        logger[metadataKey: "content"] = "\(job.contentName)"
        logger[metadataKey: "version"] = "\(job.version)"
        logger[metadataKey: "dp"] = "\(job.distributionPoint.name)"
        logger[metadataKey: "pull"] = "true"
        return logger
    }
}
