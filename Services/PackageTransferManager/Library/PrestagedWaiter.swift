import Bus
import Clocks
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import ServiceLifecycle
import Store

/// Jobs for DPs that get a version from a prestaged file, not over the network (SPEC C9,
/// P4): the PTM sends nothing and asks the DP every `checkInterval` whether it holds the
/// version; once it does, the job ends installed. `ferry dp import` records it at once.
///
/// A wait takes no content slot and ignores windows, rates and retries: nothing crosses the
/// WAN but a question. It is kept until its report is in the outbox, in one transaction.
final class PrestagedWaiter: Service, Sendable {
    typealias DistributionPointClient = PullJobSupervisor.DistributionPointClient

    let database: ServiceDatabase
    let clock: any ServiceClock
    let node: String
    let logger: Logger
    let pump: OutboxPump
    let checkInterval: TimeInterval
    let requestTimeout: Duration
    let distributionPoint: DistributionPointClient
    let reportProgress: @Sendable (TransferProgress) async -> Void
    private let signal = WakeSignal()

    /// The default time between questions: the pull cycle's source check.
    static let defaultCheckInterval: TimeInterval = 1200

    init(database: ServiceDatabase, clock: any ServiceClock, node: String, logger: Logger, pump: OutboxPump, checkInterval: TimeInterval,
         requestTimeout: Duration, distributionPoint: @escaping DistributionPointClient,
         reportProgress: @escaping @Sendable (TransferProgress) async -> Void) {
        self.database = database
        self.clock = clock
        self.node = node
        self.logger = logger
        self.pump = pump
        self.checkInterval = checkInterval
        self.requestTimeout = requestTimeout
        self.distributionPoint = distributionPoint
        self.reportProgress = reportProgress
    }

    func wake() { signal.wake() }

    /// Keeps a wait, replacing an older one for the same content and DP; runs in the command's inbox transaction.
    static func accept(_ job: TransferJob, _ db: Database, now: Date) throws {
        try cancel(content: job.contentName, distributionPoint: job.distributionPoint.name, db)
        try db.execute(sql: """
            INSERT OR IGNORE INTO prestagedWait (jobID, job, contentName, distributionPoint, checks, nextCheckAt, createdAt)
            VALUES (?, ?, ?, ?, 0, ?, ?)
            """, arguments: [job.jobID.uuidString, try JSONEncoder().encode(job), job.contentName, job.distributionPoint.name,
                             now.timeIntervalSince1970, now.timeIntervalSince1970])
    }

    /// Drops waits a newer job (of any kind) or the DP's removal replaced.
    static func cancel(content: String?, distributionPoint: String, _ db: Database) throws {
        if let content {
            try db.execute(sql: "DELETE FROM prestagedWait WHERE distributionPoint = ? AND contentName = ?", arguments: [distributionPoint, content])
        } else {
            try db.execute(sql: "DELETE FROM prestagedWait WHERE distributionPoint = ?", arguments: [distributionPoint])
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.checkDueWaits()
                await self.signal.idle()
            }
        }
    }

    func checkDueWaits() async {
        let due: [(TransferJob, Int)]
        do {
            let now = clock.now.timeIntervalSince1970
            due = try await database.read { db in
                try Row.fetchAll(db, sql: "SELECT job, checks FROM prestagedWait WHERE nextCheckAt <= ? ORDER BY createdAt", arguments: [now])
                    .map { (try JSONDecoder().decode(TransferJob.self, from: $0["job"] as Data), $0["checks"] as Int) }
            }
        } catch {
            logger.error("cannot read the prestaged waits", metadata: ["error": "\(error)"])
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for (job, checks) in due { group.addTask { await self.check(job, checks: checks) } }
        }
    }

    private func check(_ job: TransferJob, checks: Int) async {
        let log = logger.job(job)
        var holds = false
        var problem: String?
        do {
            let client = try distributionPoint(job.distributionPoint.name, job.distributionPoint.busEndpoint, job.distributionPoint.publicKey)
            holds = try await client.request(VersionHeldQuery(versionID: job.versionID), timeout: requestTimeout).installed
        } catch {
            problem = "the DP did not answer: \(error)"
        }
        let now = clock.now
        if holds {
            let report = TransferReport(jobID: job.jobID, distributionPoint: job.distributionPoint.name, versionID: job.versionID,
                                        outcome: .installed, bytesPushed: 0, chunksPushed: 0, chunksSkipped: job.chunkCount, attempts: checks + 1,
                                        reason: "imported from a prestaged content file")
            do {
                try await database.write { [node] db in
                    guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM prestagedWait WHERE jobID = ?", arguments: [job.jobID.uuidString]) == 1 else { return }
                    try db.execute(sql: "DELETE FROM prestagedWait WHERE jobID = ?", arguments: [job.jobID.uuidString])
                    try Outbox.enqueue(db, report, to: TransferWorker.distributionManagerPeer, sender: node, now: now)
                }
                pump.wake()
                log.info("prestaged content found on the DP", metadata: ["outcome": "installed"])
            } catch {
                log.error("cannot record a prestaged installation", metadata: ["error": "\(error)"])
            }
            return
        }
        let next = now.addingTimeInterval(checkInterval)
        do {
            try await database.write { db in
                try db.execute(sql: "UPDATE prestagedWait SET checks = checks + 1, nextCheckAt = ? WHERE jobID = ?",
                               arguments: [next.timeIntervalSince1970, job.jobID.uuidString])
            }
        } catch {
            log.error("cannot record a prestaged check", metadata: ["error": "\(error)"])
        }
        let why = "waiting for prestaged content: nothing is sent over the network; import a prestaged file on the DP "
            + "('ferry dp import FILE --dp \(job.distributionPoint.name)'); asked again at \(Self.format(next))"
            + (problem.map { " (\($0))" } ?? "")
        await reportProgress(TransferProgress(jobID: job.jobID, distributionPoint: job.distributionPoint.name, versionID: job.versionID,
                                              bytesDone: 0, bytesTotal: job.totalBytes, attempt: 0, lastError: nil, nextAttemptAt: next,
                                              running: false, explanation: why))
        if checks == 0 { log.info("waiting for prestaged content", metadata: ["next-check": "\(Self.format(next))"]) }
    }

    static func format(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false))
    }
}
