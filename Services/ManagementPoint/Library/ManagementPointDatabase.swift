import Foundation
import GRDB

/// The MP's own tables: its copy of the site snapshot (newest sequence wins), agents, and
/// the on-demand distributions it asked for.
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
        migrator.registerMigration("management-point-v3-on-demand") { db in
            // One trigger per version and DP, however many clients ask (SPEC C8).
            try db.create(table: "onDemandTrigger") { table in
                table.column("versionID", .text).notNull()
                table.column("distributionPoint", .text).notNull()
                table.column("clientAddress", .text).notNull()
                table.column("requestedAt", .double).notNull()
                table.primaryKey(["versionID", "distributionPoint"])
            }
        }
        return migrator
    }
}
