import Clocks
import Bus
import ContentStore
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import Store

/// The distribution manager's domain logic: contents, versions, distribution targets.
///
/// Plain methods over the database and the site content library, so tests can drive it
/// without sockets. Distributing writes the targets and the PTM's transfer jobs in one
/// transaction; the outbox delivers the jobs.
final class ContentCatalog: Sendable {
    static let transferManagerPeer = "package-transfer-manager"

    let database: ServiceDatabase
    let clock: any ServiceClock
    let library: ChunkStore
    let chunking: ChunkingParameters
    let node: String
    let signer: SiteTokenSigner
    let logger: Logger
    let libraryURL: @Sendable () -> String
    let topology: SiteTopology
    /// The folders sources may come from, links resolved (settings' `sourceRoots`).
    let sourceRoots: [String]

    init(database: ServiceDatabase, clock: any ServiceClock, library: ChunkStore, chunking: ChunkingParameters, node: String,
         signer: SiteTokenSigner, logger: Logger, topology: SiteTopology,
         sourceRoots: [String], libraryURL: @escaping @Sendable () -> String) {
        self.clock = clock
        self.topology = topology
        self.sourceRoots = sourceRoots.map(Self.resolved)
        self.database = database
        self.library = library
        self.chunking = chunking
        self.node = node
        self.signer = signer
        self.logger = logger
        self.libraryURL = libraryURL
    }

    // MARK: Contents

    func create(_ request: CreateContent) async throws -> ContentVersionReply {
        let name = try Self.validName(request.name)
        let exists = try await database.read { db in try ContentRecord.exists(db, key: name) }
        guard !exists else { throw WireError(code: .conflict, message: "content '\(name)' already exists; use 'ferry content update \(name)'") }
        let source = try validSource(request.sourcePath)
        logger.info("importing new content", metadata: ["content": "\(name)", "source": "\(source.path)"])
        let imported = try await importFolder(source)
        let now = clock.now.timeIntervalSince1970
        let record = ContentRecord(name: name, type: request.type.rawValue, priority: request.priority.rawValue,
                                   sourcePath: source.path, currentVersion: 1, createdAt: now, distributeOnDemand: false)
        let version = VersionRecord(contentName: name, number: 1, versionID: imported.versionID,
                                    totalBytes: imported.totalBytes, fileCount: imported.manifest.fileCount,
                                    chunkCount: imported.manifest.uniqueChunks.count, createdAt: now)
        do {
            try await database.write { [topology] db in
                try record.insert(db)
                try version.insert(db)
                try topology.enqueueSnapshot(db)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw WireError(code: .conflict, message: "content '\(name)' already exists")
        }
        logger.info("created content", metadata: ["content": "\(name)", "version": "1", "version-id": "\(imported.versionID)",
                                                  "bytes": "\(imported.totalBytes)", "new-chunks": "\(imported.newChunks)"])
        return ContentVersionReply(content: Self.summary(record, version), version: version.summary, isNewVersion: true,
                                   newChunks: imported.newChunks, newBytes: imported.newBytes)
    }

    func update(_ request: UpdateContent) async throws -> ContentVersionReply {
        let (record, current) = try await content(named: request.name)
        let source = try validSource(request.sourcePath ?? record.sourcePath)
        logger.info("importing content update", metadata: ["content": "\(record.name)", "source": "\(source.path)"])
        let imported = try await importFolder(source)
        if imported.versionID == current.versionID {
            var unchanged = record
            unchanged.sourcePath = source.path
            try await database.write { [unchanged] db in try unchanged.update(db) }
            return ContentVersionReply(content: Self.summary(unchanged, current), version: current.summary, isNewVersion: false,
                                       newChunks: imported.newChunks, newBytes: imported.newBytes)
        }
        let now = clock.now.timeIntervalSince1970
        let result = try await database.write { [topology] db -> (ContentRecord, VersionRecord) in
            guard var latest = try ContentRecord.fetchOne(db, key: record.name) else {
                throw WireError(code: .notFound, message: "content '\(record.name)' was deleted during the import")
            }
            let version = VersionRecord(contentName: latest.name, number: latest.currentVersion + 1, versionID: imported.versionID,
                                        totalBytes: imported.totalBytes, fileCount: imported.manifest.fileCount,
                                        chunkCount: imported.manifest.uniqueChunks.count, createdAt: now)
            try version.insert(db)
            latest.currentVersion = version.number
            latest.sourcePath = source.path
            try latest.update(db)
            try topology.enqueueSnapshot(db)
            return (latest, version)
        }
        logger.info("new content version", metadata: ["content": "\(record.name)", "version": "\(result.1.number)",
                                                      "version-id": "\(imported.versionID)", "new-chunks": "\(imported.newChunks)",
                                                      "new-bytes": "\(imported.newBytes)"])
        return ContentVersionReply(content: Self.summary(result.0, result.1), version: result.1.summary, isNewVersion: true,
                                   newChunks: imported.newChunks, newBytes: imported.newBytes)
    }

    func list() async throws -> ContentList {
        try await database.read { db in
            let contents = try ContentRecord.order(Column("name")).fetchAll(db)
            return ContentList(contents: try contents.map { record in
                let version = try VersionRecord.fetchOne(db, key: ["contentName": record.name, "number": record.currentVersion])
                return Self.summary(record, version)
            })
        }
    }

    func show(_ name: String) async throws -> ContentDetail {
        let (record, current) = try await content(named: name)
        return try await database.read { db in
            let versions = try VersionRecord.filter(Column("contentName") == record.name).order(Column("number")).fetchAll(db)
            let targets = try TargetRecord.filter(Column("contentName") == record.name).order(Column("distributionPoint")).fetchAll(db)
            return ContentDetail(content: Self.summary(record, current), versions: versions.map(\.summary), targets: targets.map(\.status))
        }
    }

    // MARK: Distribution points

    func registerDistributionPoints(_ points: [DistributionPointSettings]) async throws {
        try await database.write { db in
            for point in points {
                // Endpoints come from the configuration; properties set through the CLI stay.
                try db.execute(sql: """
                    INSERT INTO distributionPoint (name, busEndpoint, httpURL, publicKey) VALUES (?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET busEndpoint = excluded.busEndpoint, httpURL = excluded.httpURL,
                                                    publicKey = excluded.publicKey
                    """, arguments: [point.name, point.busEndpoint, point.httpURL, point.publicKey])
            }
        }
    }

    func distributionPoints() async throws -> DistributionPointList {
        try await database.read { db in
            let points = try DistributionPointRecord.order(Column("name")).fetchAll(db)
            return DistributionPointList(points: try points.map { point in
                let installed = try InstalledVersionRecord.filter(Column("distributionPoint") == point.name).fetchCount(db)
                let pending = try TargetRecord.filter(Column("distributionPoint") == point.name)
                    .filter([DistributionState.waiting.rawValue, DistributionState.inProgress.rawValue].contains(Column("state")))
                    .fetchCount(db)
                let groups = try String.fetchAll(db, sql: "SELECT groupName FROM distributionPointGroupMember WHERE distributionPoint = ? ORDER BY groupName",
                                                 arguments: [point.name])
                return DistributionPointSummary(name: point.name, busEndpoint: point.busEndpoint, httpURL: point.httpURL,
                                                installedVersions: installed, pendingVersions: pending,
                                                allowFallback: point.allowFallback, groups: groups)
            })
        }
    }

    // MARK: Distribution

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
        for target in plan.send {
            let point = try DistributionPointRecord.require(target.distributionPoint, db)
            let jobID = UUID()
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
                totalBytes: version.totalBytes, chunkCount: version.chunkCount)
            try Outbox.enqueue(db, job, to: Self.transferManagerPeer, sender: node, now: clock.now)
        }
        return DistributeAccepted(name: record.name, versionID: version.versionID, version: version.number,
                                  queued: plan.send.map(\.distributionPoint), alreadyInstalled: plan.alreadyInstalled,
                                  alreadyInProgress: plan.alreadyInProgress)
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

    /// Changes content properties and tells the MP.
    func set(_ request: SetContent) async throws -> ContentDetail {
        try await database.write { [topology] db in
            guard var record = try ContentRecord.fetchOne(db, key: request.name) else {
                throw WireError(code: .notFound, message: "no content named '\(request.name)'")
            }
            if let onDemand = request.distributeOnDemand { record.distributeOnDemand = onDemand }
            try record.update(db)
            try topology.enqueueSnapshot(db)
        }
        return try await show(request.name)
    }

    func status(_ name: String) async throws -> DistributionStatusReply {
        let (record, version) = try await content(named: name)
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
            target.state = .inProgress
            target.bytesDone = progress.bytesDone
            target.bytesTotal = progress.bytesTotal
            target.attempts = max(target.attempts, progress.attempt)
            target.reason = progress.lastError.map { error in
                let retry = progress.nextAttemptAt.map { " (retry at \($0.formatted(date: .omitted, time: .standard)))" } ?? ""
                return "attempt \(progress.attempt) failed: \(error)\(retry)"
            }
            target.updatedAt = self.clock.now.timeIntervalSince1970
            try target.update(db)
        }
    }

    /// Applies the end of a job; runs inside the command's inbox transaction.
    func applyReport(_ report: TransferReport, _ db: Database) throws {
        let now = clock.now.timeIntervalSince1970
        if report.outcome == .installed {
            try InstalledVersionRecord(distributionPoint: report.distributionPoint, versionID: report.versionID, installedAt: now)
                .save(db)
            try topology.enqueueSnapshot(db)
        }
        guard var target = try TargetRecord.filter(Column("jobID") == report.jobID.uuidString).fetchOne(db) else { return }
        target.state = report.outcome == .installed ? .installed : .failed
        target.bytesDone = report.outcome == .installed ? target.bytesTotal : target.bytesDone
        target.attempts = report.attempts
        target.reason = report.reason
        target.updatedAt = now
        try target.update(db)
    }

    // MARK: Helpers

    private func content(named name: String) async throws -> (ContentRecord, VersionRecord) {
        let found = try await database.read { db -> (ContentRecord, VersionRecord)? in
            guard let record = try ContentRecord.fetchOne(db, key: name),
                  let version = try VersionRecord.fetchOne(db, key: ["contentName": name, "number": record.currentVersion])
            else { return nil }
            return (record, version)
        }
        guard let found else { throw WireError(code: .notFound, message: "no content named '\(name)'") }
        return found
    }

    private func importFolder(_ source: URL) async throws -> ImportResult {
        let importer = FolderImporter(store: library, parameters: chunking)
        let library = library
        let started = ContinuousClock.now
        let result: ImportResult
        do {
            result = try await Blocking.run {
                let result = try importer.importFolder(at: source)
                try library.storeManifest(try result.manifest.canonicalData(), versionID: result.versionID)
                return result
            }
        } catch let error as ContentStoreError {
            throw WireError(code: .invalidArgument, message: "cannot import \(source.path): \(error)")
        }
        let seconds = (ContinuousClock.now - started).timeInterval
        logger.info("imported folder", metadata: [
            "source": "\(source.path)", "files": "\(result.manifest.fileCount)", "bytes": "\(result.totalBytes)",
            "new-chunks": "\(result.newChunks)", "reused-chunks": "\(result.reusedChunks)",
            "seconds": "\(String(format: "%.2f", seconds))"])
        return result
    }

    static func validName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._- "))
        guard !trimmed.isEmpty, trimmed.count <= 128, trimmed.unicodeScalars.allSatisfy(allowed.contains) else {
            throw WireError(code: .invalidArgument,
                            message: "invalid content name '\(name)': use 1-128 letters, digits, spaces, '.', '_' or '-'")
        }
        return trimmed
    }

    /// Folders a source may neither be, contain, nor lie inside: the site's own data and keys.
    var protectedFolders: [URL] { [library.root.deletingLastPathComponent(), signer.keyFolder] }

    /// A source folder the site may import: an absolute path that, links resolved, is one of
    /// the source roots or lies inside one (checked before anything about the path is told),
    /// exists, and overlaps none of the site's own folders. Returns the resolved folder, which
    /// is what gets imported.
    func validSource(_ path: String) throws -> URL {
        guard path.hasPrefix("/") else {
            throw WireError(code: .invalidArgument, message: "source folder must be an absolute path on the site server: '\(path)'")
        }
        let sourcePath = Self.resolved(path)
        guard sourceRoots.contains(where: { root in
            sourcePath == root || sourcePath.hasPrefix(root == "/" ? "/" : root + "/")
        }) else {
            throw WireError(code: .invalidArgument, message: """
                source folder '\(path)' is outside the site's source roots (\(sourceRoots.joined(separator: ", "))); \
                the distribution manager imports only from the folders its configuration lists under sourceRoots
                """)
        }
        _ = try Self.validSource(path)
        let source = URL(fileURLWithPath: sourcePath, isDirectory: true)
        for folder in protectedFolders {
            let protected = folder.resolvingSymlinksInPath().standardizedFileURL.path
            if protected == sourcePath || protected.hasPrefix(sourcePath == "/" ? "/" : sourcePath + "/")
                || sourcePath.hasPrefix(protected + "/") {
                throw WireError(code: .invalidArgument,
                                message: "source folder '\(path)' overlaps the site's own data or keys (\(protected)); choose a folder of its own")
            }
        }
        return source
    }

    /// `path` standardized with every symbolic link resolved (as far as the path exists).
    static func resolved(_ path: String) -> String {
        var text = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
        while text.count > 1 && text.hasSuffix("/") { text.removeLast() }
        return text
    }

    static func validSource(_ path: String) throws -> URL {
        guard path.hasPrefix("/") else {
            throw WireError(code: .invalidArgument, message: "source folder must be an absolute path on the site server: '\(path)'")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WireError(code: .notFound, message: "source folder '\(path)' does not exist or is not a folder")
        }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    static func summary(_ record: ContentRecord, _ version: VersionRecord?) -> ContentSummary {
        ContentSummary(name: record.name, type: ContentType(rawValue: record.type) ?? .package,
                       priority: Priority(rawValue: record.priority) ?? .medium, sourcePath: record.sourcePath,
                       currentVersion: record.currentVersion, currentVersionID: version?.versionID ?? "",
                       totalBytes: version?.totalBytes ?? 0, fileCount: version?.fileCount ?? 0,
                       createdAt: Date(timeIntervalSince1970: record.createdAt), distributeOnDemand: record.distributeOnDemand)
    }
}
