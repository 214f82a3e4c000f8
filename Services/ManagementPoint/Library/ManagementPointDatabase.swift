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
        migrator.registerMigration("management-point-v2-agents") { db in
            try db.create(table: "agent") { table in
                table.primaryKey("name", .text)
                table.column("address", .text).notNull()
                table.column("subnet", .text).notNull()
                table.column("lastSeen", .double).notNull()
                table.column("cachedVersions", .text).notNull()
            }
            try db.create(table: "agentStatus") { table in
                table.column("agent", .text).notNull()
                table.column("deploymentID", .text).notNull()
                table.column("status", .blob).notNull()
                table.column("updatedAt", .double).notNull()
                table.primaryKey(["agent", "deploymentID"])
            }
        }
        return migrator
    }
}
