import Foundation
import GRDB
import Messages
import Store

/// The PTM's jobs table: every job it accepted, until it ends installed or failed.
enum TransferJobStore {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("package-transfer-manager-v1") { db in
            try db.create(table: "transferJob") { table in
                table.primaryKey("jobID", .text)
                table.column("job", .blob).notNull()
                table.column("priorityRank", .integer).notNull()
                table.column("state", .text).notNull()
                table.column("attempts", .integer).notNull()
                table.column("nextAttemptAt", .double).notNull()
                table.column("bytesPushed", .integer).notNull()
                table.column("chunksPushed", .integer).notNull()
                table.column("chunksSkipped", .integer).notNull()
                table.column("lastError", .text)
                table.column("createdAt", .double).notNull()
                table.column("updatedAt", .double).notNull()
            }
            try db.create(index: "transferJob_due", on: "transferJob", columns: ["state", "nextAttemptAt"])
        }
        migrator.registerMigration("package-transfer-manager-v2-policies") { db in
            // The scheduler groups jobs by content and DP without decoding every job.
            try db.alter(table: "transferJob") { table in
                table.add(column: "contentName", .text).notNull().defaults(to: "")
                table.add(column: "distributionPoint", .text).notNull().defaults(to: "")
            }
            for row in try Row.fetchAll(db, sql: "SELECT jobID, job FROM transferJob") {
                guard let job = try? EnvelopeCodec.value(TransferJob.self, from: row["job"] as Data) else { continue }
                try db.execute(sql: "UPDATE transferJob SET contentName = ?, distributionPoint = ? WHERE jobID = ?",
                               arguments: [job.contentName, job.distributionPoint.name, row["jobID"] as String])
            }
            try db.create(table: "distributionPointPolicy") { table in
                table.primaryKey("name", .text)
                table.column("revision", .integer).notNull()
                table.column("policy", .blob).notNull()
            }
        }
        migrator.registerMigration("package-transfer-manager-v3-pull-jobs") { db in
            try db.create(table: "pullJob") { table in
                table.primaryKey("jobID", .text)
                table.column("job", .blob).notNull()
                table.column("contentName", .text).notNull()
                table.column("distributionPoint", .text).notNull()
                table.column("phase", .text).notNull()
                table.column("nextCheckAt", .double).notNull()
                table.column("lastHeardAt", .double)
                table.column("note", .text)
                table.column("createdAt", .double).notNull()
                table.column("updatedAt", .double).notNull()
            }
            try db.create(index: "pullJob_due", on: "pullJob", columns: ["phase", "nextCheckAt"])
        }
        migrator.registerMigration("package-transfer-manager-v4-validation-jobs") { db in
            try db.create(table: "validationJob") { table in
                table.primaryKey("jobID", .text)
                table.column("job", .blob).notNull()
                table.column("distributionPoint", .text).notNull()
                table.column("createdAt", .double).notNull()
            }
        }
        migrator.registerMigration("package-transfer-manager-v5-retirement-jobs") { db in
            try db.create(table: "retirementJob") { table in
                table.primaryKey("jobID", .text)
                table.column("job", .blob).notNull()
                table.column("distributionPoint", .text).notNull()
                table.column("attempts", .integer).notNull()
                table.column("nextAttemptAt", .double).notNull()
                table.column("createdAt", .double).notNull()
            }
        }
        migrator.registerMigration("package-transfer-manager-v6-prestaged-waits") { db in
            try db.create(table: "prestagedWait") { table in
                table.primaryKey("jobID", .text)
                table.column("job", .blob).notNull()
                table.column("contentName", .text).notNull()
                table.column("distributionPoint", .text).notNull()
                table.column("checks", .integer).notNull()
                table.column("nextCheckAt", .double).notNull()
                table.column("createdAt", .double).notNull()
            }
        }
        return migrator
    }
}

/// One DP's schedule, rate limit and priority as the site last sent them.
struct DistributionPointPolicyRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "distributionPointPolicy"
    var name: String
    var revision: Int64
    var policy: Data

    init(_ policy: DistributionPointPolicy) throws {
        name = policy.name
        revision = policy.revision
        self.policy = try EnvelopeCodec.json(policy)
    }

    func decoded() throws -> DistributionPointPolicy {
        try EnvelopeCodec.value(DistributionPointPolicy.self, from: policy)
    }
}

/// Where a transfer job stands in the PTM's queue.
enum JobState: String, Codable {
    case queued, running, installed, failed
    /// Superseded by a newer version for the same DP, or the DP was removed: no report.
    case cancelled
}

struct TransferJobRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "transferJob"
    var jobID: String
    var job: Data
    var priorityRank: Int
    var state: JobState
    var attempts: Int
    var nextAttemptAt: Double
    var bytesPushed: Int64
    var chunksPushed: Int
    var chunksSkipped: Int
    var lastError: String?
    var createdAt: Double
    var updatedAt: Double
    var contentName: String
    var distributionPoint: String

    init(job: TransferJob, now: Date) throws {
        contentName = job.contentName
        distributionPoint = job.distributionPoint.name
        jobID = job.jobID.uuidString
        self.job = try EnvelopeCodec.json(job)
        priorityRank = Priority.allCases.firstIndex(of: job.priority) ?? 1
        state = .queued
        attempts = 0
        nextAttemptAt = now.timeIntervalSince1970
        bytesPushed = 0
        chunksPushed = 0
        chunksSkipped = 0
        createdAt = now.timeIntervalSince1970
        updatedAt = now.timeIntervalSince1970
    }

    func decodedJob() throws -> TransferJob {
        try EnvelopeCodec.value(TransferJob.self, from: job)
    }
}
