import Foundation
import GRDB
import Messages
import Store

/// The distribution manager's tables: contents, versions, DPs, per-DP distribution state.
enum DistributionManagerDatabase {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("distribution-manager-v1") { db in
            try db.create(table: "content") { table in
                table.primaryKey("name", .text)
                table.column("type", .text).notNull()
                table.column("priority", .text).notNull()
                table.column("sourcePath", .text).notNull()
                table.column("currentVersion", .integer).notNull()
                table.column("createdAt", .double).notNull()
            }
            try db.create(table: "contentVersion") { table in
                table.column("contentName", .text).notNull().references("content", onDelete: .cascade)
                table.column("number", .integer).notNull()
                table.column("versionID", .text).notNull()
                table.column("totalBytes", .integer).notNull()
                table.column("fileCount", .integer).notNull()
                table.column("chunkCount", .integer).notNull()
                table.column("createdAt", .double).notNull()
                table.primaryKey(["contentName", "number"])
            }
            try db.create(table: "distributionPoint") { table in
                table.primaryKey("name", .text)
                table.column("busEndpoint", .text).notNull()
                table.column("httpURL", .text).notNull()
                table.column("publicKey", .text)
            }
            try db.create(table: "distributionTarget") { table in
                table.column("contentName", .text).notNull().references("content", onDelete: .cascade)
                table.column("distributionPoint", .text).notNull()
                table.column("version", .integer).notNull()
                table.column("versionID", .text).notNull()
                table.column("state", .text).notNull()
                table.column("jobID", .text).notNull()
                table.column("bytesDone", .integer).notNull()
                table.column("bytesTotal", .integer).notNull()
                table.column("attempts", .integer).notNull()
                table.column("reason", .text)
                table.column("updatedAt", .double).notNull()
                table.primaryKey(["contentName", "distributionPoint"])
            }
            try db.create(table: "installedVersion") { table in
                table.column("distributionPoint", .text).notNull()
                table.column("versionID", .text).notNull()
                table.column("installedAt", .double).notNull()
                table.primaryKey(["distributionPoint", "versionID"])
            }
        }
        migrator.registerMigration("distribution-manager-v2-boundary-groups") { db in
            try db.create(table: "boundaryGroup") { table in
                table.primaryKey("name", .text)
                table.column("createdAt", .double).notNull()
            }
            try db.create(table: "boundaryRange") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("groupName", .text).notNull().references("boundaryGroup", onDelete: .cascade)
                table.column("subnet", .text)
                table.column("firstAddress", .text)
                table.column("lastAddress", .text)
            }
            try db.create(table: "boundaryMember") { table in
                table.column("groupName", .text).notNull().references("boundaryGroup", onDelete: .cascade)
                table.column("distributionPoint", .text).notNull()
                table.column("slow", .boolean).notNull()
                table.primaryKey(["groupName", "distributionPoint"])
            }
            try db.create(table: "snapshotSequence") { table in
                table.primaryKey("id", .integer)
                table.column("sequence", .integer).notNull()
            }
        }
        migrator.registerMigration("distribution-manager-v3-deployments") { db in
            try db.create(table: "deployment") { table in
                table.primaryKey("id", .text)
                table.column("content", .text).notNull()
                table.column("versionID", .text).notNull()
                table.column("collection", .text).notNull()
                table.column("command", .text)
                table.column("cacheOnly", .boolean).notNull()
                table.column("createdAt", .double).notNull()
            }
            try db.create(table: "agentDeploymentStatus") { table in
                table.column("agent", .text).notNull()
                table.column("deploymentID", .text).notNull()
                table.column("status", .blob).notNull()
                table.column("updatedAt", .double).notNull()
                table.primaryKey(["agent", "deploymentID"])
            }
        }
        migrator.registerMigration("distribution-manager-v4-collections") { db in
            try db.create(table: "collection") { table in
                table.primaryKey("name", .text)
                table.column("definition", .blob).notNull()
            }
        }
        migrator.registerMigration("distribution-manager-v5-deadlines") { db in
            try db.alter(table: "deployment") { table in table.add(column: "deadline", .double) }
        }
        migrator.registerMigration("distribution-manager-v6-fallback-and-dp-groups") { db in
            try db.alter(table: "distributionPoint") { table in table.add(column: "allowFallback", .boolean).notNull().defaults(to: false) }
            try db.alter(table: "content") { table in table.add(column: "distributeOnDemand", .boolean).notNull().defaults(to: false) }
            try db.alter(table: "deployment") { table in
                table.add(column: "allowFallback", .boolean).notNull().defaults(to: false)
                table.add(column: "slowNetwork", .text).notNull().defaults(to: SlowNetworkBehavior.download.rawValue)
            }
            try db.alter(table: "distributionTarget") { table in table.add(column: "origin", .text) }
            try db.create(table: "distributionPointGroup") { table in
                table.primaryKey("name", .text)
                table.column("createdAt", .double).notNull()
            }
            try db.create(table: "distributionPointGroupMember") { table in
                table.column("groupName", .text).notNull().references("distributionPointGroup", onDelete: .cascade)
                table.column("distributionPoint", .text).notNull()
                table.primaryKey(["groupName", "distributionPoint"])
            }
            try db.create(table: "distributionPointGroupContent") { table in
                table.column("groupName", .text).notNull().references("distributionPointGroup", onDelete: .cascade)
                table.column("contentName", .text).notNull().references("content", onDelete: .cascade)
                table.primaryKey(["groupName", "contentName"])
            }
            try db.create(table: "collectionGroup") { table in
                table.column("collection", .text).notNull()
                table.column("groupName", .text).notNull().references("distributionPointGroup", onDelete: .cascade)
                table.primaryKey(["collection", "groupName"])
            }
        }
        migrator.registerMigration("distribution-manager-v7-multicast") { db in
            // NULL: the agents' own multicast setting (SPEC S6).
            try db.alter(table: "deployment") { table in
                table.add(column: "multicast", .boolean)
                table.add(column: "multicastDelaySeconds", .double)
            }
        }
        migrator.registerMigration("distribution-manager-v8-transfer-policies") { db in
            // NULL schedule / rate limit: always open, unlimited (the seed's defaults).
            try db.alter(table: "distributionPoint") { table in
                table.add(column: "onSiteServer", .boolean).notNull().defaults(to: false)
                table.add(column: "schedule", .blob)
                table.add(column: "rateLimit", .blob)
                table.add(column: "priority", .integer).notNull().defaults(to: DistributionPointPolicy.defaultPriority)
                table.add(column: "priorityManual", .boolean).notNull().defaults(to: false)
                table.add(column: "lastTransferSeconds", .double)
                table.add(column: "lastTransferBytes", .integer)
                table.add(column: "policyRevision", .integer).notNull().defaults(to: 0)
            }
            // A DP removed with `ferry dp remove` stays removed when the configuration still lists it.
            try db.create(table: "removedDistributionPoint") { table in
                table.primaryKey("name", .text)
                table.column("removedAt", .double).notNull()
            }
            try db.create(table: "policyRevision") { table in
                table.primaryKey("id", .integer)
                table.column("revision", .integer).notNull()
            }
        }
        migrator.registerMigration("distribution-manager-v9-pull-sources") { db in
            // NULL: a standard DP. The schedule and rate limit stay as they were (SPEC P4, P5).
            try db.alter(table: "distributionPoint") { table in
                table.add(column: "pullSources", .blob)
            }
        }
        migrator.registerMigration("distribution-manager-v10-differential") { db in
            // NULL: never set; the content's type and the site's default decide (SPEC C3).
            try db.alter(table: "content") { table in
                table.add(column: "differential", .boolean)
            }
        }
        migrator.registerMigration("distribution-manager-v11-validation") { db in
            try db.create(table: "validationSchedule") { table in
                table.primaryKey("distributionPoint", .text)
                table.column("lastValidatedAt", .double).notNull()
            }
            // What a validation found wrong with a target's version, kept until a repair is queued.
            try db.create(table: "validationFinding") { table in
                table.column("contentName", .text).notNull()
                table.column("distributionPoint", .text).notNull()
                table.column("versionID", .text).notNull()
                table.primaryKey(["contentName", "distributionPoint"])
            }
        }
        migrator.registerMigration("distribution-manager-v12-version-chains") { db in
            // 0: a full version; 1...5: increments on top of it (SPEC C3). Versions made before
            // the rule existed get the positions it would have given them.
            try db.alter(table: "contentVersion") { table in
                table.add(column: "chainPosition", .integer).notNull().defaults(to: 0)
            }
            try db.execute(sql: "UPDATE contentVersion SET chainPosition = (number - 1) % 6")
            // Versions retired whose manifest and chunks the library still has to drop.
            try db.create(table: "retiredVersion") { table in
                table.column("contentName", .text).notNull()
                table.column("number", .integer).notNull()
                table.column("versionID", .text).notNull()
                table.column("retiredAt", .double).notNull()
                table.primaryKey(["contentName", "number"])
            }
        }
        migrator.registerMigration("distribution-manager-v13-prestaged") { db in
            // SPEC C9: DPs enabled for prestaged content, and each content's prestage mode (NULL: automatic).
            try db.alter(table: "distributionPoint") { table in
                table.add(column: "prestaged", .boolean).notNull().defaults(to: false)
            }
            try db.alter(table: "content") { table in
                table.add(column: "prestage", .text)
            }
        }
        migrator.registerMigration("distribution-manager-v14-validation-per-dp") { db in
            // SPEC C10: a DP's own validation interval in seconds; NULL: the site's (weekly); 0: never.
            try db.alter(table: "distributionPoint") { table in
                table.add(column: "validationIntervalSeconds", .double)
            }
        }
        return migrator
    }
}

struct BoundaryGroupRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "boundaryGroup"
    var name: String
    var createdAt: Double
}

struct BoundaryRangeRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "boundaryRange"
    var id: Int64?
    var groupName: String
    var subnet: String?
    var firstAddress: String?
    var lastAddress: String?
}

struct BoundaryMemberRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "boundaryMember"
    var groupName: String
    var distributionPoint: String
    var slow: Bool
}

struct ContentRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "content"
    var name: String
    var type: String
    var priority: String
    var sourcePath: String
    var currentVersion: Int
    var createdAt: Double
    var distributeOnDemand: Bool
    /// Binary differential replication as the administrator set it; nil: never set.
    var differential: Bool?
    /// What DPs enabled for prestaged content are sent (SPEC C9); nil: automatic.
    var prestage: PrestageMode?

    var prestageMode: PrestageMode { prestage ?? .automatic }
}

struct VersionRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "contentVersion"
    var contentName: String
    var number: Int
    var versionID: String
    var totalBytes: Int64
    var fileCount: Int
    var chunkCount: Int
    var createdAt: Double
    /// 0: a full version; 1...5: the increments on top of the full version before it.
    var chainPosition: Int

    var summary: VersionSummary {
        VersionSummary(number: number, versionID: versionID, totalBytes: totalBytes, fileCount: fileCount,
                       chunkCount: chunkCount, createdAt: Date(timeIntervalSince1970: createdAt), chainPosition: chainPosition)
    }
}

struct DistributionPointRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "distributionPoint"
    var name: String
    var busEndpoint: String
    var httpURL: String
    var publicKey: String?
    var allowFallback: Bool
    var onSiteServer: Bool
    var schedule: Data?
    var rateLimit: Data?
    var priority: Int
    var priorityManual: Bool
    var lastTransferSeconds: Double?
    var lastTransferBytes: Int64?
    var policyRevision: Int64
    /// A pull DP's ranked sources as JSON ([PullSource]); nil for a standard DP.
    var pullSources: Data?
    /// Enabled for prestaged content (SPEC C9).
    var prestaged: Bool
    /// Seconds between scheduled validations of this DP (SPEC C10); nil: the site's; 0: never.
    var validationIntervalSeconds: Double?

    enum Columns {
        static let name = Column(CodingKeys.name)
        static let priority = Column(CodingKeys.priority)
    }

    /// A DP added through the CLI: always open, unlimited, the shared default priority.
    init(name: String, busEndpoint: String, httpURL: String, publicKey: String?, onSiteServer: Bool) {
        self.name = name
        self.busEndpoint = busEndpoint
        self.httpURL = httpURL
        self.publicKey = publicKey
        allowFallback = false
        self.onSiteServer = onSiteServer
        priority = DistributionPointPolicy.defaultPriority
        priorityManual = false
        policyRevision = 0
        prestaged = false
    }

    func transferSchedule() throws -> TransferSchedule {
        try schedule.map { try EnvelopeCodec.value(TransferSchedule.self, from: $0) } ?? .alwaysOpen
    }

    func transferRateLimit() throws -> RateLimit {
        try rateLimit.map { try EnvelopeCodec.value(RateLimit.self, from: $0) } ?? .unlimited
    }

    /// A pull DP's ranked sources; empty for a standard DP.
    func rankedSources() throws -> [PullSource] {
        try pullSources.map { try EnvelopeCodec.value([PullSource].self, from: $0) } ?? []
    }

    var isPull: Bool { pullSources != nil }

    /// What ``PullSourceRules`` needs of this DP.
    func pullRulePoint() throws -> PullSourceRules.Point {
        PullSourceRules.Point(name: name, onSiteServer: onSiteServer, pullSources: try rankedSources())
    }

    /// What the PTM enforces for this DP.
    func policy() throws -> DistributionPointPolicy {
        DistributionPointPolicy(name: name, revision: policyRevision, onSiteServer: onSiteServer, schedule: try transferSchedule(),
                                rateLimit: try transferRateLimit(), priority: priority)
    }
}

extension DistributionPointRecord {
    /// The named DP, or a not-found error that lists the known ones.
    static func require(_ name: String, _ db: Database) throws -> DistributionPointRecord {
        if let point = try fetchOne(db, key: name) { return point }
        let known = try order(Column("name")).fetchAll(db).map(\.name)
        throw WireError(code: .notFound, message: "no distribution point named '\(name)' (known: \(known.joined(separator: ", ")))")
    }
}

struct TargetRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "distributionTarget"
    var contentName: String
    var distributionPoint: String
    var version: Int
    var versionID: String
    var state: DistributionState
    var jobID: String
    var bytesDone: Int64
    var bytesTotal: Int64
    var attempts: Int
    var reason: String?
    var updatedAt: Double
    var origin: String?

    var status: DistributionTargetStatus {
        DistributionTargetStatus(distributionPoint: distributionPoint, versionID: versionID, version: version,
                                 state: state, bytesDone: bytesDone,
                                 bytesTotal: bytesTotal, attempts: attempts, reason: reason,
                                 updatedAt: Date(timeIntervalSince1970: updatedAt), origin: origin)
    }
}

struct InstalledVersionRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "installedVersion"
    var distributionPoint: String
    var versionID: String
    var installedAt: Double
}
