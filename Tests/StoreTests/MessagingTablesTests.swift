import Foundation
import GRDB
import Store
import Testing

@Suite("MessagingTables")
struct MessagingTablesTests {
    @Test func inboxContainsOnlyRecordedIDs() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try ServiceDatabase(url: folder.file("service.sqlite"), migrator: DatabaseMigrator())
        let recorded = UUID()
        let other = UUID()
        let before = try await database.read { db in try InboxRecord.contains(db, messageID: recorded) }
        #expect(!before)
        try await database.write { db in
            try InboxRecord(messageID: recorded, type: "transfer.job", sender: "site",
                            receivedAt: Date(timeIntervalSince1970: 100)).insert(db)
        }
        let (hasRecorded, hasOther) = try await database.read { db in
            (try InboxRecord.contains(db, messageID: recorded), try InboxRecord.contains(db, messageID: other))
        }
        #expect(hasRecorded)
        #expect(!hasOther)
        let stored = try await database.read { db in try InboxRecord.fetchOne(db, key: recorded.uuidString) }
        #expect(stored?.sender == "site")
        #expect(stored?.type == "transfer.job")
        #expect(stored?.receivedAt == 100)
    }

    @Test func inboxRefusesTheSameIDTwice() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try ServiceDatabase(url: folder.file("service.sqlite"), migrator: DatabaseMigrator())
        let id = UUID()
        try await database.write { db in try InboxRecord(messageID: id, type: "ack", sender: "a", receivedAt: Date()).insert(db) }
        await #expect(throws: DatabaseError.self) {
            try await database.write { db in try InboxRecord(messageID: id, type: "ack", sender: "b", receivedAt: Date()).insert(db) }
        }
    }

    @Test func outboxMessageStartsDueWithNoAttempts() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try ServiceDatabase(url: folder.file("service.sqlite"), migrator: DatabaseMigrator())
        let id = UUID()
        let now = Date(timeIntervalSince1970: 1_000)
        let message = OutboxMessage(id: id, peer: "ptm", type: "transfer.job", frame: Data("{}".utf8), now: now)
        #expect(message.id == id.uuidString)
        #expect(message.attempts == 0)
        #expect(message.nextAttemptAt == 1_000)
        #expect(message.createdAt == 1_000)
        #expect(message.lastError == nil)
        try await database.write { db in try message.insert(db) }
        let stored = try await database.read { db in try OutboxMessage.fetchOne(db, key: id.uuidString) }
        #expect(stored?.peer == "ptm")
        #expect(stored?.frame == Data("{}".utf8))
        #expect(stored?.attempts == 0)
    }

    @Test func migratingTwiceIsIdempotent() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let queue = try DatabaseQueue(path: folder.file("plain.sqlite").path)
        var migrator = DatabaseMigrator()
        MessagingTables.register(in: &migrator)
        try migrator.migrate(queue)
        try migrator.migrate(queue)
        let exists = try queue.read { db in try db.tableExists("outbox") && db.tableExists("inbox") }
        #expect(exists)
    }
}
