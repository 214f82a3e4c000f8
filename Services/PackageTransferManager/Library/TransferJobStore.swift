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
        return migrator
    }
}

/// Where a transfer job stands in the PTM's queue.
enum JobState: String, Codable {
    case queued, running, installed, failed
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

    init(job: TransferJob, now: Date) throws {
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
