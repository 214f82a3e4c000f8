import Clocks
import Bus
import ContentStore
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import Store

/// The site's contents and their versions, kept in the distribution manager's database
/// and content library (SPEC C1, C2).
///
/// The rules live in plain types it applies: ``SourceFolderPolicy`` (which folders may be
/// imported), ``ContentImporter`` (the import itself), ``ContentName``. Where versions go
/// is ``Distributions``; ``ContentRequests`` maps the bus to both.
final class ContentCatalog: Sendable {
    let database: ServiceDatabase
    let clock: any ServiceClock
    let logger: Logger
    let topology: SiteTopology
    let distributions: Distributions
    let policies: TransferPolicyPublisher
    let sources: SourceFolderPolicy
    let importer: ContentImporter
    /// Held shared by an import until its version is recorded (see ``LibraryCollector``).
    let libraryLock: LibraryLock

    init(database: ServiceDatabase, clock: any ServiceClock, library: ChunkStore, chunking: ChunkingParameters,
         signer: SiteTokenSigner, logger: Logger, topology: SiteTopology, distributions: Distributions,
         policies: TransferPolicyPublisher, sourceRoots: [String], libraryLock: LibraryLock = LibraryLock()) {
        self.libraryLock = libraryLock
        self.distributions = distributions
        self.policies = policies
        self.database = database
        self.clock = clock
        self.logger = logger
        self.topology = topology
        // Sources may overlap neither the site's data nor its keys.
        sources = SourceFolderPolicy(roots: sourceRoots, protectedFolders: [library.root.deletingLastPathComponent(), signer.keyFolder])
        importer = ContentImporter(library: library, chunking: chunking, logger: logger)
    }

    // MARK: Contents

    func create(_ request: CreateContent) async throws -> ContentVersionReply {
        try await libraryLock.shared { try await self.createHoldingLibrary(request) }
    }

    private func createHoldingLibrary(_ request: CreateContent) async throws -> ContentVersionReply {
        let name = try ContentName.valid(request.name)
        let exists = try await database.read { db in try ContentRecord.exists(db, key: name) }
        guard !exists else { throw WireError(code: .conflict, message: "content '\(name)' already exists; use 'ferry content update \(name)'") }
        let source = try sources.folder(for: request.sourcePath)
        logger.info("importing new content", metadata: ["content": "\(name)", "source": "\(source.path)"])
        let imported = try await importer.importFolder(source)
        let now = clock.now.timeIntervalSince1970
        let record = ContentRecord(name: name, type: request.type.rawValue, priority: request.priority.rawValue,
                                   sourcePath: source.path, currentVersion: 1, createdAt: now, distributeOnDemand: false)
        let version = VersionRecord(contentName: name, number: 1, versionID: imported.versionID,
                                    totalBytes: imported.totalBytes, fileCount: imported.manifest.fileCount,
                                    chunkCount: imported.manifest.uniqueChunks.count, createdAt: now, chainPosition: 0)
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
        return ContentVersionReply(content: Self.summary(record, version, rule: self.distributions.differential), version: version.summary, isNewVersion: true,
                                   newChunks: imported.newChunks, newBytes: imported.newBytes)
    }

    func update(_ request: UpdateContent) async throws -> ContentVersionReply {
        try await libraryLock.shared { try await self.updateHoldingLibrary(request) }
    }

    private func updateHoldingLibrary(_ request: UpdateContent) async throws -> ContentVersionReply {
        let (record, current) = try await content(named: request.name)
        let source = try sources.folder(for: request.sourcePath ?? record.sourcePath)
        logger.info("importing content update", metadata: ["content": "\(record.name)", "source": "\(source.path)"])
        let imported = try await importer.importFolder(source)
        if imported.versionID == current.versionID {
            var unchanged = record
            unchanged.sourcePath = source.path
            try await database.write { [unchanged] db in try unchanged.update(db) }
            return ContentVersionReply(content: Self.summary(unchanged, current, rule: self.distributions.differential), version: current.summary, isNewVersion: false,
                                       newChunks: imported.newChunks, newBytes: imported.newBytes)
        }
        let now = clock.now.timeIntervalSince1970
        let result = try await database.write { [topology, distributions] db -> (ContentRecord, VersionRecord, DistributeAccepted) in
            guard var latest = try ContentRecord.fetchOne(db, key: record.name) else {
                throw WireError(code: .notFound, message: "content '\(record.name)' was deleted during the import")
            }
            let previous = try VersionRecord.fetchOne(db, key: ["contentName": latest.name, "number": latest.currentVersion])
            let version = VersionRecord(contentName: latest.name, number: latest.currentVersion + 1, versionID: imported.versionID,
                                        totalBytes: imported.totalBytes, fileCount: imported.manifest.fileCount,
                                        chunkCount: imported.manifest.uniqueChunks.count, createdAt: now,
                                        chainPosition: distributions.chains.position(after: previous?.chainPosition))
            try version.insert(db)
            latest.currentVersion = version.number
            latest.sourcePath = source.path
            try latest.update(db)
            try topology.enqueueSnapshot(db)
            // The seed's "update distribution points": every DP that holds the content, or
            // is a member of a DP group that does, is sent the new version (SPEC C3).
            let accepted = try distributions.queue(db, content: latest, version: version,
                                                   targets: try distributions.holders(of: latest.name, db), redistribute: false)
            // A content sent nowhere keeps no older set once a full version replaces it.
            try distributions.retireReplacedVersions(of: latest.name, db)
            return (latest, version, accepted)
        }
        for name in result.2.queued {
            logger.info("queued transfer job", metadata: ["content": "\(record.name)", "version": "\(result.1.number)", "dp": "\(name)",
                                                          "reason": "content update"])
        }
        logger.info("new content version", metadata: ["content": "\(record.name)", "version": "\(result.1.number)",
                                                      "version-id": "\(imported.versionID)", "new-chunks": "\(imported.newChunks)",
                                                      "new-bytes": "\(imported.newBytes)"])
        return ContentVersionReply(content: Self.summary(result.0, result.1, rule: self.distributions.differential), version: result.1.summary, isNewVersion: true,
                                   newChunks: imported.newChunks, newBytes: imported.newBytes, queuedDistributionPoints: result.2.queued)
    }

    func list() async throws -> ContentList {
        try await database.read { db in
            let contents = try ContentRecord.order(Column("name")).fetchAll(db)
            return ContentList(contents: try contents.map { record in
                let version = try VersionRecord.fetchOne(db, key: ["contentName": record.name, "number": record.currentVersion])
                return Self.summary(record, version, rule: self.distributions.differential)
            })
        }
    }

    func show(_ name: String) async throws -> ContentDetail {
        let (record, current) = try await content(named: name)
        return try await database.read { db in
            let versions = try VersionRecord.filter(Column("contentName") == record.name).order(Column("number")).fetchAll(db)
            let targets = try TargetRecord.filter(Column("contentName") == record.name).order(Column("distributionPoint")).fetchAll(db)
            return ContentDetail(content: Self.summary(record, current, rule: self.distributions.differential), versions: versions.map(\.summary), targets: targets.map(\.status))
        }
    }

    /// Changes the flags given; a new priority re-ranks the PTM's queued and running jobs
    /// of the content at once (SPEC C6).
    func set(_ request: SetContent) async throws -> ContentDetail {
        guard request.distributeOnDemand != nil || request.priority != nil || request.differential != nil || request.prestage != nil else {
            throw WireError(code: .invalidArgument, message: "nothing to change for '\(request.name)'")
        }
        try await database.write { [topology, policies, distributions] db in
            guard var record = try ContentRecord.fetchOne(db, key: request.name) else {
                throw WireError(code: .notFound, message: "no content named '\(request.name)'")
            }
            if let onDemand = request.distributeOnDemand { record.distributeOnDemand = onDemand }
            if let prestage = request.prestage { record.prestage = prestage }
            if let differential = request.differential {
                try distributions.differential.check(differential, for: ContentType(rawValue: record.type) ?? .package, name: record.name)
                record.differential = differential
            }
            if let priority = request.priority, priority.rawValue != record.priority {
                record.priority = priority.rawValue
                try policies.publishPriority(of: record.name, priority, db)
            }
            try record.update(db)
            try topology.enqueueSnapshot(db)
        }
        logger.info("content changed", metadata: ["content": "\(request.name)", "priority": "\(request.priority?.rawValue ?? "-")",
                                                  "on-demand": "\(request.distributeOnDemand.map { "\($0)" } ?? "-")",
                                                  "differential": "\(request.differential.map { "\($0)" } ?? "-")",
                                                  "prestage": "\(request.prestage?.rawValue ?? "-")"])
        return try await show(request.name)
    }

    // MARK: Helpers

    func content(named name: String) async throws -> (ContentRecord, VersionRecord) {
        try await Self.current(named: name, in: database)
    }

    /// A content and its current version, or not-found.
    static func current(named name: String, in database: ServiceDatabase) async throws -> (ContentRecord, VersionRecord) {
        let found = try await database.read { db -> (ContentRecord, VersionRecord)? in
            guard let record = try ContentRecord.fetchOne(db, key: name),
                  let version = try VersionRecord.fetchOne(db, key: ["contentName": name, "number": record.currentVersion])
            else { return nil }
            return (record, version)
        }
        guard let found else { throw WireError(code: .notFound, message: "no content named '\(name)'") }
        return found
    }

    static func summary(_ record: ContentRecord, _ version: VersionRecord?, rule: DifferentialReplicationRule) -> ContentSummary {
        ContentSummary(name: record.name, type: ContentType(rawValue: record.type) ?? .package,
                       priority: Priority(rawValue: record.priority) ?? .medium, sourcePath: record.sourcePath,
                       currentVersion: record.currentVersion, currentVersionID: version?.versionID ?? "",
                       totalBytes: version?.totalBytes ?? 0, fileCount: version?.fileCount ?? 0,
                       createdAt: Date(timeIntervalSince1970: record.createdAt), distributeOnDemand: record.distributeOnDemand,
                       differential: rule.applies(to: ContentType(rawValue: record.type) ?? .package, setting: record.differential),
                       prestage: record.prestageMode)
    }
}
