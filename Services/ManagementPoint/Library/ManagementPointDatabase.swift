import Foundation
import GRDB

/// The MP's own tables: its copy of the site snapshot (newest sequence wins).
enum ManagementPointDatabase {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("management-point-v1") { db in
            try db.create(table: "siteSnapshot") { table in
                table.primaryKey("id", .integer)
                table.column("sequence", .integer).notNull()
                table.column("snapshot", .blob).notNull()
                table.column("receivedAt", .double).notNull()
            }
        }
        return migrator
    }
}
