import Foundation
import GRDB

/// The DP's own tables: the versions it verified complete.
enum DistributionPointDatabase {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("pull-dp-v1") { db in
            try db.create(table: "installedVersion") { table in
                table.primaryKey("versionID", .text)
                table.column("contentName", .text).notNull()
                table.column("verifiedAt", .double).notNull()
            }
        }
        migrator.registerMigration("pull-dp-v2-client-hits") { db in
            try db.create(table: "clientHit") { table in
                table.column("versionID", .text).notNull()
                table.column("client", .text).notNull()
                table.column("firstSeenAt", .double).notNull()
                table.primaryKey(["versionID", "client"])
            }
        }
        migrator.registerMigration("pull-dp-v3-pull-jobs") { db in
            try db.create(table: "pullJob") { table in
                table.primaryKey("jobID", .text)
                table.column("notification", .blob).notNull()
                table.column("contentName", .text).notNull()
                table.column("versionID", .text).notNull()
                table.column("state", .text).notNull()
                table.column("bytesDone", .integer).notNull()
                table.column("bytesTotal", .integer).notNull()
                table.column("source", .text)
                table.column("detail", .text)
                table.column("nextAttemptAt", .double).notNull()
                table.column("attempts", .integer).notNull()
                table.column("createdAt", .double).notNull()
                table.column("updatedAt", .double).notNull()
            }
        }
        migrator.registerMigration("pull-dp-v4-library-move") { db in
            // The last library move (SPEC C11); one row.
            try db.create(table: "libraryMove") { table in
                table.primaryKey("id", .integer)
                table.column("source", .text).notNull()
                table.column("target", .text).notNull()
                table.column("phase", .text).notNull()
                table.column("copiedChunks", .integer).notNull()
                table.column("totalChunks", .integer).notNull()
                table.column("copiedBytes", .integer).notNull()
                table.column("totalBytes", .integer).notNull()
                table.column("corruptChunks", .integer).notNull()
                table.column("detail", .text)
                table.column("updatedAt", .double).notNull()
            }
        }
        return migrator
    }
}

struct InstalledVersion: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "installedVersion"
    var versionID: String
    var contentName: String
    var verifiedAt: Double
}
