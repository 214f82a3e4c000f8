import Bus
import Clocks
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import ServiceLifecycle
import Store

/// Carries the site's validation jobs (SPEC C10): has each DP re-hash one installed version
/// and reports what it found, one version per DP at a time (a validation reads the whole
/// version from the DP's disk).
///
/// A job is kept from its arrival until its report is in the outbox, written in one
/// transaction, so a restart validates again what was cut short and reports nothing twice.
final class ValidationRunner: Service, Sendable {
    typealias DistributionPointClient = PullJobSupervisor.DistributionPointClient

    let database: ServiceDatabase
    let clock: any ServiceClock
    let node: String
    let logger: Logger
    let pump: OutboxPump
    let requestTimeout: Duration
    let distributionPoint: DistributionPointClient
    private let signal = WakeSignal()

    init(database: ServiceDatabase, clock: any ServiceClock, node: String, logger: Logger, pump: OutboxPump, requestTimeout: Duration,
         distributionPoint: @escaping DistributionPointClient) {
        self.database = database
        self.clock = clock
        self.node = node
        self.logger = logger
        self.pump = pump
        self.requestTimeout = requestTimeout
        self.distributionPoint = distributionPoint
    }

    func wake() { signal.wake() }

    /// Keeps a job; runs in the command's inbox transaction.
    static func accept(_ job: ValidationJob, _ db: Database, now: Date) throws {
        try db.execute(sql: "INSERT OR IGNORE INTO validationJob (jobID, job, distributionPoint, createdAt) VALUES (?, ?, ?, ?)",
                       arguments: [job.jobID.uuidString, try JSONEncoder().encode(job), job.distributionPoint.name, now.timeIntervalSince1970])
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.validateWaitingJobs()
                await self.signal.idle()
            }
        }
    }

    /// The oldest job of each DP, side by side across DPs.
    func validateWaitingJobs() async {
        let jobs: [ValidationJob]
        do {
            jobs = try await database.read { db in
                let rows = try Row.fetchAll(db, sql: """
                    SELECT job FROM validationJob AS j WHERE createdAt = (SELECT MIN(createdAt) FROM validationJob WHERE distributionPoint = j.distributionPoint)
                    GROUP BY distributionPoint
                    """)
                return try rows.map { try JSONDecoder().decode(ValidationJob.self, from: $0["job"] as Data) }
            }
        } catch {
            logger.error("cannot read the validation jobs", metadata: ["error": "\(error)"])
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for job in jobs { group.addTask { await self.validate(job) } }
        }
    }

    private func validate(_ job: ValidationJob) async {
        var log = logger
        log[metadataKey: "content"] = "\(job.contentName)"
        log[metadataKey: "dp"] = "\(job.distributionPoint.name)"
        var report = ValidationReport(jobID: job.jobID, contentName: job.contentName, versionID: job.versionID,
                                      distributionPoint: job.distributionPoint.name, intact: false, missingChunks: 0, corruptChunks: 0,
                                      checkedAt: clock.now, error: nil)
        do {
            let client = try distributionPoint(job.distributionPoint.name, job.distributionPoint.busEndpoint, job.distributionPoint.publicKey)
            let reply = try await client.request(VerifyVersion(contentName: job.contentName, versionID: job.versionID), timeout: TransferExecutor.verificationTimeout(bytes: job.totalBytes, requestTimeout: requestTimeout))
            report.intact = reply.complete
            report.missingChunks = reply.missing.count
            report.corruptChunks = reply.corrupt.count
            report.checkedAt = clock.now
            log.info("validated", metadata: ["intact": "\(reply.complete)", "missing": "\(reply.missing.count)", "corrupt": "\(reply.corrupt.count)"])
        } catch {
            report.error = "the DP did not answer the validation: \(error)"
            log.warning("validation failed", metadata: ["error": "\(error)"])
        }
        let finished = report
        do {
            try await database.write { [node, clock] db in
                try db.execute(sql: "DELETE FROM validationJob WHERE jobID = ?", arguments: [job.jobID.uuidString])
                try Outbox.enqueue(db, finished, to: TransferWorker.distributionManagerPeer, sender: node, now: clock.now)
            }
            pump.wake()
        } catch {
            log.error("cannot record a validation", metadata: ["error": "\(error)"])
        }
    }
}
