import Bus
import Clocks
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import ServiceLifecycle
import Store

/// Carries the site's retirements (SPEC C3, the five-increment rule): has each DP drop the
/// versions a full version replaced and collect the chunks no kept version uses.
///
/// A job stays from its arrival until the DP answered, so a restart or an unreachable DP
/// only delays it; a DP offline is asked again after the transfer retry delay. Asking twice
/// is harmless: a DP that already dropped a version reports nothing for it.
final class RetirementRunner: Service, Sendable {
    typealias DistributionPointClient = PullJobSupervisor.DistributionPointClient

    let database: ServiceDatabase
    let clock: any ServiceClock
    let logger: Logger
    let retryDelay: TimeInterval
    let requestTimeout: Duration
    let distributionPoint: DistributionPointClient
    private let signal = WakeSignal()

    init(database: ServiceDatabase, clock: any ServiceClock, logger: Logger, retryDelay: TimeInterval, requestTimeout: Duration,
         distributionPoint: @escaping DistributionPointClient) {
        self.database = database
        self.clock = clock
        self.logger = logger
        self.retryDelay = retryDelay
        self.requestTimeout = requestTimeout
        self.distributionPoint = distributionPoint
    }

    func wake() { signal.wake() }

    /// Keeps a job; runs in the command's inbox transaction.
    static func accept(_ job: VersionRetirementJob, _ db: Database, now: Date) throws {
        try db.execute(sql: """
            INSERT OR IGNORE INTO retirementJob (jobID, job, distributionPoint, attempts, nextAttemptAt, createdAt) VALUES (?, ?, ?, 0, ?, ?)
            """, arguments: [job.jobID.uuidString, try JSONEncoder().encode(job), job.distributionPoint.name,
                             now.timeIntervalSince1970, now.timeIntervalSince1970])
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.retireDueJobs()
                await self.signal.idle()
            }
        }
    }

    /// Every due job, one DP's jobs in order, DPs side by side.
    func retireDueJobs() async {
        let jobs: [VersionRetirementJob]
        do {
            let now = clock.now.timeIntervalSince1970
            jobs = try await database.read { db in
                try Data.fetchAll(db, sql: "SELECT job FROM retirementJob WHERE nextAttemptAt <= ? ORDER BY createdAt", arguments: [now])
                    .map { try JSONDecoder().decode(VersionRetirementJob.self, from: $0) }
            }
        } catch {
            logger.error("cannot read the retirement jobs", metadata: ["error": "\(error)"])
            return
        }
        let byPoint = Dictionary(grouping: jobs, by: \.distributionPoint.name)
        await withTaskGroup(of: Void.self) { group in
            for (_, jobs) in byPoint {
                group.addTask { for job in jobs { await self.retire(job) } }
            }
        }
    }

    private func retire(_ job: VersionRetirementJob) async {
        var log = logger
        log[metadataKey: "content"] = "\(job.contentName)"
        log[metadataKey: "dp"] = "\(job.distributionPoint.name)"
        do {
            let client = try distributionPoint(job.distributionPoint.name, job.distributionPoint.busEndpoint, job.distributionPoint.publicKey)
            let reply = try await client.request(RetireVersions(contentName: job.contentName, versionIDs: job.versionIDs), timeout: requestTimeout)
            try await database.write { db in
                try db.execute(sql: "DELETE FROM retirementJob WHERE jobID = ?", arguments: [job.jobID.uuidString])
            }
            log.info("versions retired on the DP", metadata: ["versions": "\(reply.removedVersions.count)", "removed-chunks": "\(reply.removedChunks)",
                                                             "removed-bytes": "\(reply.removedBytes)", "kept-in-flight": "\(reply.keptInFlight)"])
        } catch {
            let next = clock.now.addingTimeInterval(retryDelay)
            log.warning("the DP did not retire the versions; asking again later", metadata: ["error": "\(error)", "retry-at": "\(next)"])
            do {
                try await database.write { db in
                    try db.execute(sql: "UPDATE retirementJob SET attempts = attempts + 1, nextAttemptAt = ? WHERE jobID = ?",
                                   arguments: [next.timeIntervalSince1970, job.jobID.uuidString])
                }
            } catch {
                log.error("cannot record a retirement attempt", metadata: ["error": "\(error)"])
            }
        }
    }
}
