import Clocks
import Bus
import Foundation
import GRDB
import Logging
import Messages
import Store

/// Distributions: the targets a content's versions are sent to, the PTM's jobs that carry
/// them, and the progress and reports that come back (SPEC C4, C5, C8, T1).
///
/// ``DistributionPlanner`` decides what to send where; this type records the decision and
/// queues the jobs in the same transaction, so a crash never leaves a target without its job.
final class Distributions: Sendable {
    static let transferManagerPeer = "package-transfer-manager"

    let database: ServiceDatabase
    let clock: any ServiceClock
    let node: String
    let logger: Logger
    let topology: SiteTopology
    /// The site library's base URL, which jobs carry (known once the HTTP server runs).
    let libraryURL: @Sendable () -> String
    let differential: DifferentialReplicationRule
    let chains: VersionChainRule

    init(database: ServiceDatabase, clock: any ServiceClock, node: String, logger: Logger, topology: SiteTopology,
         differential: DifferentialReplicationRule = DifferentialReplicationRule(siteDefault: false),
         chains: VersionChainRule = VersionChainRule(),
         libraryURL: @escaping @Sendable () -> String) {
        self.differential = differential
        self.chains = chains
        self.database = database
        self.clock = clock
        self.node = node
        self.logger = logger
        self.topology = topology
        self.libraryURL = libraryURL
    }


    /// Resolves DPs, DP groups and collections to DPs, records the targets and queues one
    /// transfer job per DP, in one transaction.
    ///
    /// A group keeps the content so members added later receive it; a collection reaches
    /// the groups associated with it now. A DP reached several ways is sent the version once.
    func distribute(_ request: Distribute) async throws -> (DistributeAccepted, queuedJobs: Int) {
        guard !request.distributionPoints.isEmpty || !request.distributionPointGroups.isEmpty || !request.collections.isEmpty else {
            throw WireError(code: .invalidArgument, message: "name at least one target: --dp, --dp-group or --collection")
        }
        let accepted = try await database.write { [self] db -> DistributeAccepted in
            // Read inside the transaction: an update committing meanwhile cannot leave us
            // queueing a version that is no longer current.
            guard let record = try ContentRecord.fetchOne(db, key: request.name),
                  let version = try VersionRecord.fetchOne(db, key: ["contentName": request.name, "number": record.currentVersion]) else {
                throw WireError(code: .notFound, message: "no content named '\(request.name)'")
            }
            var targets: [(distributionPoint: String, origin: String)] = request.distributionPoints.map { ($0, "named") }
            for group in request.distributionPointGroups {
                try targets.append(contentsOf: assign(record.name, toGroup: group, origin: "dp group \(group)", db))
            }
            for collection in request.collections {
                let name = try Deployments.collectionName(collection, db)
                let groups = try String.fetchAll(db, sql: "SELECT groupName FROM collectionGroup WHERE collection = ? ORDER BY groupName",
                                                 arguments: [name])
                guard !groups.isEmpty else {
                    throw WireError(code: .invalidArgument,
                                    message: "collection '\(name)' has no DP group; associate one with 'ferry collection associate \(name) --dp-group GROUP'")
                }
                for group in groups {
                    try targets.append(contentsOf: assign(record.name, toGroup: group, origin: "collection \(name) (dp group \(group))", db))
                }
            }
            // An empty group still keeps the content: DPs added later receive it.
            return try queue(db, content: record, version: version, targets: targets, redistribute: request.redistribute)
        }
        for name in accepted.queued {
            logger.info("queued transfer job", metadata: ["content": "\(accepted.name)", "version": "\(accepted.version)", "dp": "\(name)",
                                                          "redistribute": "\(request.redistribute)"])
        }
        return (accepted, accepted.queued.count)
    }

    /// Remembers that the group holds the content and returns its members as targets.
    private func assign(_ content: String, toGroup group: String, origin: String, _ db: Database) throws -> [(distributionPoint: String, origin: String)] {
        try DistributionPointGroups.requireGroup(group, db)
        try db.execute(sql: "INSERT OR IGNORE INTO distributionPointGroupContent (groupName, contentName) VALUES (?, ?)",
                       arguments: [group, content])
        return try String.fetchAll(db, sql: "SELECT distributionPoint FROM distributionPointGroupMember WHERE groupName = ? ORDER BY distributionPoint",
                                   arguments: [group]).map { ($0, origin) }
    }

    /// Queues the version for every target DP that neither holds it nor is receiving it
    /// (all of them with `redistribute`), as ``DistributionPlanner`` decides; call inside a
    /// write transaction.
    func queue(_ db: Database, content record: ContentRecord, version: VersionRecord,
               targets: [(distributionPoint: String, origin: String)], redistribute: Bool) throws -> DistributeAccepted {
        var current: [String: DistributionPlanner.Current] = [:]
        for existing in try TargetRecord.filter(Column("contentName") == record.name).fetchAll(db) {
            current[existing.distributionPoint] = DistributionPlanner.Current(versionID: existing.versionID, state: existing.state)
        }
        let plan = DistributionPlanner.plan(targets.map { DistributionPlanner.Target(distributionPoint: $0.distributionPoint, origin: $0.origin) },
                                            versionID: version.versionID, current: current, redistribute: redistribute)
        let libraryURL = libraryURL()
        let usesDeltas = differential.applies(to: ContentType(rawValue: record.type) ?? .package, setting: record.differential)
        for target in plan.send {
            let point = try DistributionPointRecord.require(target.distributionPoint, db)
            let holdsAVersion = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM installedVersion WHERE distributionPoint = ?
                AND versionID IN (SELECT versionID FROM contentVersion WHERE contentName = ?)
                """, arguments: [point.name, record.name]) ?? 0 > 0
            let awaitsPrestaged = PrestageRule.awaitsPrestaged(pointPrestaged: point.prestaged, pointIsPull: point.isPull,
                                                               mode: record.prestageMode, holdsAVersion: holdsAVersion)
            let pullSources = point.isPull && !awaitsPrestaged ? try Self.sourceAddresses(of: point, db) : nil
            let jobID = UUID()
            // The version the DP has installed, to send deltas against (a redistribution
            // copies every chunk whole; a pull DP asks its source for them).
            var base: String?
            if usesDeltas, !redistribute, let held = current[point.name], held.state == .installed,
               held.versionID != version.versionID,
               try InstalledVersionRecord.fetchOne(db, key: ["distributionPoint": point.name, "versionID": held.versionID]) != nil {
                base = held.versionID
            }
            try TargetRecord(contentName: record.name, distributionPoint: point.name, version: version.number,
                             versionID: version.versionID, state: .waiting, jobID: jobID.uuidString,
                             bytesDone: 0, bytesTotal: version.totalBytes, attempts: 0, reason: nil,
                             updatedAt: clock.now.timeIntervalSince1970, origin: target.origin).save(db)
            let job = TransferJob(
                jobID: jobID, contentName: record.name, versionID: version.versionID, version: version.number,
                priority: Priority(rawValue: record.priority) ?? .medium,
                distributionPoint: DistributionPointAddress(name: point.name, busEndpoint: point.busEndpoint,
                                                            httpURL: point.httpURL, publicKey: point.publicKey ?? ""),
                libraryURL: libraryURL, redistribute: redistribute,
                totalBytes: version.totalBytes, chunkCount: version.chunkCount, pullSources: pullSources,
                differentialBase: awaitsPrestaged ? nil : base, awaitPrestaged: awaitsPrestaged ? true : nil)
            try Outbox.enqueue(db, job, to: Self.transferManagerPeer, sender: node, now: clock.now)
        }
        return DistributeAccepted(name: record.name, versionID: version.versionID, version: version.number,
                                  queued: plan.send.map(\.distributionPoint), alreadyInstalled: plan.alreadyInstalled,
                                  alreadyInProgress: plan.alreadyInProgress)
    }

    /// A pull DP's sources with where to reach them, as its job carries them (SPEC T5).
    static func sourceAddresses(of point: DistributionPointRecord, _ db: Database) throws -> [PullSourceAddress] {
        try point.rankedSources().compactMap { source in
            guard let known = try DistributionPointRecord.fetchOne(db, key: source.name) else { return nil }
            return PullSourceAddress(name: known.name, rank: source.rank, httpURL: known.httpURL, busEndpoint: known.busEndpoint,
                                     publicKey: known.publicKey ?? "")
        }
    }

    /// The DPs that hold the content or are to: every DP with a target for it, and the
    /// members of every DP group that keeps it. A new version goes to all of them.
    func holders(of content: String, _ db: Database) throws -> [(distributionPoint: String, origin: String)] {
        var holders = try TargetRecord.filter(Column("contentName") == content).order(Column("distributionPoint")).fetchAll(db)
            .map { (distributionPoint: $0.distributionPoint, origin: $0.origin ?? "named") }
        let members = try Row.fetchAll(db, sql: """
            SELECT member.distributionPoint AS point, member.groupName AS groupName FROM distributionPointGroupContent AS kept
            JOIN distributionPointGroupMember AS member ON member.groupName = kept.groupName
            WHERE kept.contentName = ? ORDER BY member.distributionPoint, member.groupName
            """, arguments: [content])
        for row in members where !holders.contains(where: { $0.distributionPoint == row["point"] }) {
            holders.append((distributionPoint: row["point"], origin: "dp group \(row["groupName"] as String)"))
        }
        return holders
    }

    /// Sends a version to a client's preferred DPs at the MP's request (SPEC C8); runs in
    /// the command's inbox transaction. A request for a version that is no longer current
    /// is dropped: the MP asks again for the current one when a client needs it.
    func applyOnDemand(_ request: OnDemandDistribution, _ db: Database) throws -> DistributeAccepted? {
        guard let record = try ContentRecord.fetchOne(db, key: request.content),
              let version = try VersionRecord.fetchOne(db, key: ["contentName": record.name, "number": record.currentVersion]),
              version.versionID == request.versionID else { return nil }
        let known = try request.distributionPoints.filter { try DistributionPointRecord.exists(db, key: $0) }
        return try queue(db, content: record, version: version,
                         targets: known.map { ($0, "on demand for client \(request.clientAddress)") }, redistribute: false)
    }

    func status(_ name: String) async throws -> DistributionStatusReply {
        let (record, version) = try await ContentCatalog.current(named: name, in: database)
        let targets = try await database.read { db in
            try TargetRecord.filter(Column("contentName") == record.name).order(Column("distributionPoint")).fetchAll(db)
        }
        return DistributionStatusReply(name: record.name, versionID: version.versionID, version: version.number,
                                       targets: targets.map(\.status))
    }

    /// Applies a progress report if it is about the job the target currently waits for.
    func applyProgress(_ progress: TransferProgress) async throws {
        try await database.write { db in
            guard var target = try TargetRecord.filter(Column("jobID") == progress.jobID.uuidString).fetchOne(db),
                  target.state == .waiting || target.state == .inProgress
            else { return }
            // A waiting job (queued, window closed, retry) keeps the bytes it reached.
            let waiting = progress.running == false
            target.state = waiting ? .waiting : .inProgress
            if !waiting { target.bytesDone = progress.bytesDone }
            target.bytesTotal = progress.bytesTotal
            target.attempts = max(target.attempts, progress.attempt)
            let failure = progress.lastError.map { "attempt \(progress.attempt) failed: \($0)" }
            target.reason = [progress.explanation, failure].compactMap { $0 }.joined(separator: "; ").nilIfEmpty
            target.updatedAt = self.clock.now.timeIntervalSince1970
            try target.update(db)
        }
    }

    /// Applies the end of a job; runs inside the command's inbox transaction. False when
    /// nothing changed (the DP was removed, or the target had its end already).
    @discardableResult
    func applyReport(_ report: TransferReport, _ db: Database) throws -> Bool {
        let now = clock.now.timeIntervalSince1970
        // A DP removed meanwhile is not recorded as holding anything.
        guard try DistributionPointRecord.exists(db, key: report.distributionPoint) else { return false }
        // A pull DP's end may reach the site twice (its status through the MP, the PTM's poll): once is applied.
        if let settled = try TargetRecord.filter(Column("jobID") == report.jobID.uuidString).fetchOne(db),
           settled.state == .installed || settled.state == .failed { return false }
        if report.outcome == .installed {
            try InstalledVersionRecord(distributionPoint: report.distributionPoint, versionID: report.versionID, installedAt: now)
                .save(db)
        }
        // Installed: clients may be sent there; failed: an on-demand request may ask again (SPEC C8).
        guard var target = try TargetRecord.filter(Column("jobID") == report.jobID.uuidString).fetchOne(db) else {
            try topology.enqueueSnapshot(db)
            return true
        }
        target.state = report.outcome == .installed ? .installed : .failed
        target.bytesDone = report.outcome == .installed ? target.bytesTotal : target.bytesDone
        target.attempts = report.attempts
        target.reason = report.reason
        target.updatedAt = now
        try target.update(db)
        try topology.enqueueSnapshot(db)
        if report.outcome == .installed { try retireReplacedVersions(of: target.contentName, db) }
        return true
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
