import Foundation
import GRDB

/// The agent's own state: where it stands on each deployment.
enum AgentDatabase {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("multicast-agent-v1") { db in
            try db.create(table: "deploymentState") { table in
                table.primaryKey("id", .text)
                table.column("content", .text).notNull()
                table.column("versionID", .text).notNull()
                table.column("state", .text).notNull()
                table.column("detail", .text)
                table.column("exitCode", .integer)
                table.column("nextAttemptAt", .double).notNull()
                table.column("updatedAt", .double).notNull()
            }
        }
        return migrator
    }
}
