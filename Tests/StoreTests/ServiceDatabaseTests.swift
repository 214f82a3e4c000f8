import Foundation
import GRDB
import Store
import Testing

@Suite("ServiceDatabase")
struct ServiceDatabaseTests {
    static func widgetsMigrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("widgets-v1") { db in
            try db.create(table: "widgets") { table in
                table.primaryKey("name", .text)
                table.column("count", .integer).notNull()
            }
        }
        return migrator
    }

    @Test func migrationsCreateOutboxInboxAndTheServiceTables() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try ServiceDatabase(url: folder.file("service.sqlite"), migrator: Self.widgetsMigrator())
        let tables = try await database.read { db in
            try ["outbox", "inbox", "widgets"].filter { try db.tableExists($0) }
        }
        #expect(tables == ["outbox", "inbox", "widgets"])
        let outboxColumns = try await database.read { db in try db.columns(in: "outbox").map(\.name) }
        #expect(Set(outboxColumns) == ["id", "peer", "type", "frame", "attempts", "nextAttemptAt", "createdAt", "lastError"])
        let inboxColumns = try await database.read { db in try db.columns(in: "inbox").map(\.name) }
        #expect(Set(inboxColumns) == ["messageID", "type", "sender", "receivedAt"])
        let applied = try await database.read { db in try Self.widgetsMigrator().appliedIdentifiers(db) }
        #expect(applied.contains("widgets-v1"))
        let messagingIndex = try await database.read { db in try db.indexes(on: "outbox").map(\.name) }
        #expect(messagingIndex.contains("outbox_due"))
    }

    @Test func usesWALMode() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try ServiceDatabase(url: folder.file("service.sqlite"), migrator: DatabaseMigrator())
        let mode = try await database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode?.lowercased() == "wal")
        #expect(database.url == folder.file("service.sqlite"))
    }

    @Test func createsMissingParentFolders() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = folder.url.appendingPathComponent("a/b/c/service.sqlite")
        _ = try ServiceDatabase(url: url, migrator: DatabaseMigrator())
        #expect(FileManager.default.fileExists(atPath: url.path))
    }

    @Test func reopeningAnExistingFileKeepsItsData() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = folder.file("service.sqlite")
        let messageID = UUID()
        do {
            let database = try ServiceDatabase(url: url, migrator: Self.widgetsMigrator())
            try await database.write { db in
                try db.execute(sql: "INSERT INTO widgets (name, count) VALUES ('bolt', 7)")
                try InboxRecord(messageID: messageID, type: "transfer.job", sender: "site", receivedAt: Date()).insert(db)
            }
        }
        // A later build adds a migration: the old one is not run again, the new one is.
        var migrator = Self.widgetsMigrator()
        migrator.registerMigration("widgets-v2") { db in
            try db.alter(table: "widgets") { table in table.add(column: "colour", .text) }
        }
        let reopened = try ServiceDatabase(url: url, migrator: migrator)
        let count = try await reopened.read { db in try Int.fetchOne(db, sql: "SELECT count FROM widgets WHERE name = 'bolt'") }
        #expect(count == 7)
        let seen = try await reopened.read { db in try InboxRecord.contains(db, messageID: messageID) }
        #expect(seen)
        let columns = try await reopened.read { db in try db.columns(in: "widgets").map(\.name) }
        #expect(columns.contains("colour"))
    }

    @Test func aThrowingWriteRollsBack() async throws {
        struct Boom: Error {}
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try ServiceDatabase(url: folder.file("service.sqlite"), migrator: Self.widgetsMigrator())
        await #expect(throws: Boom.self) {
            try await database.write { db in
                try db.execute(sql: "INSERT INTO widgets (name, count) VALUES ('nut', 1)")
                throw Boom()
            }
        }
        let rows = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM widgets") }
        #expect(rows == 0)
    }

    @Test func aFileThatIsNotADatabaseIsRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = folder.file("service.sqlite")
        try Data(repeating: 0x42, count: 4096).write(to: url)
        #expect(throws: (any Error).self) { try ServiceDatabase(url: url, migrator: DatabaseMigrator()) }
    }
}
