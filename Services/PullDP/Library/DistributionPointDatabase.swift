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
        return migrator
    }
}

struct InstalledVersion: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "installedVersion"
    var versionID: String
    var contentName: String
    var verifiedAt: Double
}
