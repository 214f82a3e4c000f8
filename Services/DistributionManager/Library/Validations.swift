import Bus
import Clocks
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import ServiceLifecycle
import Store

/// Content validation on DPs (SPEC C10): on request and on each DP's schedule, the PTM has
/// the DP re-hash every installed version; a version with missing or corrupt chunks is no
/// longer offered to clients, `ferry status` says what was found, and a repair sends the DP
/// only those chunks again (the DP removed the corrupt ones when it found them).
final class Validations: Service, Sendable {
    let database: ServiceDatabase
    let clock: any ServiceClock
    let node: String
    let logger: Logger
    let topology: SiteTopology
    let distributions: Distributions
    let pump: OutboxPump
    /// Seconds between scheduled validations of a DP (the seed: weekly); nil or 0: none.
    let interval: TimeInterval?
    private let signal = WakeSignal()

    /// The seed's schedule: weekly.
    static let weekly: TimeInterval = 7 * 24 * 3600

    init(database: ServiceDatabase, clock: any ServiceClock, node: String, logger: Logger, topology: SiteTopology,
         distributions: Distributions, pump: OutboxPump, interval: TimeInterval?) {
        self.database = database
        self.clock = clock
        self.node = node
        self.logger = logger
        self.topology = topology
        self.distributions = distributions
        self.pump = pump
        self.interval = interval
    }

    // MARK: Requests

    func validate(_ request: ValidateDistributionPoint) async throws -> DistributionPointWorkAccepted {
        let accepted = try await database.write { [self] db in try self.queueValidation(of: request.name, content: request.content, db) }
        pump.wake()
        logger.info("validation queued", metadata: ["dp": "\(request.name)", "contents": "\(accepted.queued.joined(separator: ","))"])
        return accepted
    }

    func repair(_ request: RepairDistributionPoint) async throws -> DistributionPointWorkAccepted {
        let accepted = try await database.write { [distributions] db -> DistributionPointWorkAccepted in
            let point = try DistributionPointRecord.require(request.name, db)
            var queued: [String] = []
            var skipped: [String] = []
            for target in try TargetRecord.filter(Column("distributionPoint") == point.name).order(Column("contentName")).fetchAll(db) {
                guard target.state == .failed, try Self.isDamaged(target, db) else {
                    skipped.append("\(target.contentName): \(target.state.rawValue), nothing found to repair")
                    continue
                }
                guard let content = try ContentRecord.fetchOne(db, key: target.contentName),
                      let version = try VersionRecord.filter(Column("versionID") == target.versionID).fetchOne(db) else {
                    skipped.append("\(target.contentName): its version is no longer at the site")
                    continue
                }
                _ = try distributions.queue(db, content: content, version: version, targets: [(point.name, target.origin ?? "named")],
                                            redistribute: false)
                // The transfer job, with its retries, now brings the version back.
                try Self.forgetFinding(target, db)
                queued.append(target.contentName)
            }
            return DistributionPointWorkAccepted(distributionPoint: point.name, queued: queued, skipped: skipped)
        }
        pump.wake()
        logger.info("repair queued", metadata: ["dp": "\(request.name)", "contents": "\(accepted.queued.joined(separator: ","))"])
        return accepted
    }

    /// Queues a validation job for each installed version of the DP (one content's, if named).
    private func queueValidation(of name: String, content: String?, _ db: Database) throws -> DistributionPointWorkAccepted {
        let point = try DistributionPointRecord.require(name, db)
        var query = TargetRecord.filter(Column("distributionPoint") == point.name)
        if let content {
            guard try ContentRecord.exists(db, key: content) else { throw WireError(code: .notFound, message: "no content named '\(content)'") }
            query = query.filter(Column("contentName") == content)
        }
        var queued: [String] = []
        var skipped: [String] = []
        let now = clock.now
        for var target in try query.order(Column("contentName")).fetchAll(db) {
            // A version the DP holds or held: installed, or found damaged by a validation before.
            guard try target.state == .installed || Self.isDamaged(target, db) else {
                skipped.append("\(target.contentName): \(target.state.rawValue), not installed there")
                continue
            }
            let version = try VersionRecord.filter(Column("versionID") == target.versionID).fetchOne(db)
            let job = ValidationJob(jobID: UUID(), contentName: target.contentName, versionID: target.versionID,
                                    distributionPoint: DistributionPointAddress(name: point.name, busEndpoint: point.busEndpoint,
                                                                                httpURL: point.httpURL, publicKey: point.publicKey ?? ""),
                                    totalBytes: version?.totalBytes ?? target.bytesTotal)
            try Outbox.enqueue(db, job, to: Distributions.transferManagerPeer, sender: node, now: now)
            if target.state == .installed {
                target.reason = "validating since \(Self.time(now))"
                target.updatedAt = now.timeIntervalSince1970
                try target.update(db)
            }
            queued.append(target.contentName)
        }
        if content != nil, queued.isEmpty, skipped.isEmpty {
            throw WireError(code: .notFound, message: "'\(content ?? "")' was never distributed to \(point.name)")
        }
        try db.execute(sql: "INSERT OR REPLACE INTO validationSchedule (distributionPoint, lastValidatedAt) VALUES (?, ?)",
                       arguments: [point.name, now.timeIntervalSince1970])
        return DistributionPointWorkAccepted(distributionPoint: point.name, queued: queued, skipped: skipped)
    }

    // MARK: Reports

    /// Whether the target's version was found damaged by a validation (and not yet repaired).
    static func isDamaged(_ target: TargetRecord, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM validationFinding WHERE contentName = ? AND distributionPoint = ? AND versionID = ?",
                          arguments: [target.contentName, target.distributionPoint, target.versionID]) ?? false
    }

    private static func forgetFinding(_ target: TargetRecord, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM validationFinding WHERE contentName = ? AND distributionPoint = ?",
                       arguments: [target.contentName, target.distributionPoint])
    }

    /// Records what a DP's validation found; runs in the report's inbox transaction. False
    /// when the target moved on (a newer version, a removed DP): nothing changes then.
    func apply(_ report: ValidationReport, _ db: Database) throws -> Bool {
        guard var target = try TargetRecord.fetchOne(db, key: ["contentName": report.contentName, "distributionPoint": report.distributionPoint]),
              target.versionID == report.versionID,
              try target.state == .installed || Self.isDamaged(target, db) else { return false }
        let when = Self.time(report.checkedAt)
        if let error = report.error {
            target.reason = "validation at \(when) could not run: \(error)"
        } else if report.intact {
            target.state = .installed
            target.reason = "validated at \(when): every chunk intact"
            try Self.forgetFinding(target, db)
            try InstalledVersionRecord(distributionPoint: report.distributionPoint, versionID: report.versionID,
                                       installedAt: report.checkedAt.timeIntervalSince1970).save(db)
        } else {
            target.state = .failed
            try db.execute(sql: "INSERT OR REPLACE INTO validationFinding (contentName, distributionPoint, versionID) VALUES (?, ?, ?)",
                           arguments: [target.contentName, target.distributionPoint, target.versionID])
            target.reason = "validation at \(when) found \(report.missingChunks) chunks missing and \(report.corruptChunks) corrupt;"
                + " 'ferry dp repair \(report.distributionPoint)' sends only those again"
            _ = try InstalledVersionRecord.deleteOne(db, key: ["distributionPoint": report.distributionPoint, "versionID": report.versionID])
        }
        target.updatedAt = clock.now.timeIntervalSince1970
        try target.update(db)
        try topology.enqueueSnapshot(db)
        return true
    }

    // MARK: Schedule

    func run() async throws {
        // Runs even without a site schedule: a DP may have its own (`ferry dp set --validate-every`).
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.validateDue()
                await self.signal.idle()
            }
        }
    }

    /// Queues a validation of every DP whose last one is its interval old (its own, else the
    /// site's; 0 or none: never). A DP never validated starts its schedule now (its first
    /// validation comes one interval later). Looks with a read first: this runs twice a
    /// second, and a write is needed only when something is due.
    func validateDue() async {
        let now = clock.now.timeIntervalSince1970
        let siteInterval = interval ?? 0
        do {
            let due = try await database.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT point.name AS name, schedule.lastValidatedAt AS last, point.validationIntervalSeconds AS own
                    FROM distributionPoint AS point
                    LEFT JOIN validationSchedule AS schedule ON schedule.distributionPoint = point.name
                    """).compactMap { row -> (name: String, last: Double?)? in
                    let last: Double? = row["last"]
                    let own: Double? = row["own"]
                    let interval = own ?? siteInterval
                    guard interval > 0 else { return nil }
                    return last.map({ now - $0 >= interval }) ?? true ? (row["name"], last) : nil
                }
            }
            guard !due.isEmpty else { return }
            let queued = try await database.write { [self] db -> [String] in
                var queued: [String] = []
                for point in due {
                    guard point.last != nil else {
                        try db.execute(sql: "INSERT OR IGNORE INTO validationSchedule (distributionPoint, lastValidatedAt) VALUES (?, ?)",
                                       arguments: [point.name, now])
                        continue
                    }
                    _ = try self.queueValidation(of: point.name, content: nil, db)
                    queued.append(point.name)
                }
                return queued
            }
            if !queued.isEmpty {
                pump.wake()
                logger.info("scheduled validation queued", metadata: ["dps": "\(queued.joined(separator: ","))"])
            }
        } catch {
            logger.error("cannot queue scheduled validations", metadata: ["error": "\(error)"])
        }
    }

    static func time(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false))
    }
}
