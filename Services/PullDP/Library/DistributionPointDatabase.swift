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
        return migrator
    }
}

struct InstalledVersion: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "installedVersion"
    var versionID: String
    var contentName: String
    var verifiedAt: Double
}
