public import GRDB
public import Foundation

/// The outbox and inbox tables that make bus commands effectively once.
///
/// A sender inserts into `outbox` in the same transaction as its own state change; the
/// receiver inserts into `inbox` in the same transaction as its effect.
public enum MessagingTables {
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("messaging-v1") { db in
            try db.create(table: "outbox", options: .ifNotExists) { table in
                table.primaryKey("id", .text)
                table.column("peer", .text).notNull()
                table.column("type", .text).notNull()
                table.column("frame", .blob).notNull()
                table.column("attempts", .integer).notNull().defaults(to: 0)
                table.column("nextAttemptAt", .double).notNull()
                table.column("createdAt", .double).notNull()
                table.column("lastError", .text)
            }
            try db.create(index: "outbox_due", on: "outbox", columns: ["nextAttemptAt"], options: .ifNotExists)
            try db.create(table: "inbox", options: .ifNotExists) { table in
                table.primaryKey("messageID", .text)
                table.column("type", .text).notNull()
                table.column("sender", .text).notNull()
                table.column("receivedAt", .double).notNull()
            }
        }
    }
}

/// A command waiting to be delivered.
public struct OutboxMessage: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "outbox"
    public var id: String
    public var peer: String
    public var type: String
    public var frame: Data
    public var attempts: Int
    public var nextAttemptAt: Double
    public var createdAt: Double
    public var lastError: String?

    public init(id: UUID, peer: String, type: String, frame: Data, now: Date) {
        self.id = id.uuidString
        self.peer = peer
        self.type = type
        self.frame = frame
        self.attempts = 0
        self.nextAttemptAt = now.timeIntervalSince1970
        self.createdAt = now.timeIntervalSince1970
        self.lastError = nil
    }
}

/// A command id already applied.
public struct InboxRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "inbox"
    public var messageID: String
    public var type: String
    public var sender: String
    public var receivedAt: Double

    public init(messageID: UUID, type: String, sender: String, receivedAt: Date) {
        self.messageID = messageID.uuidString
        self.type = type
        self.sender = sender
        self.receivedAt = receivedAt.timeIntervalSince1970
    }

    /// True when `messageID` was already applied.
    public static func contains(_ db: Database, messageID: UUID) throws -> Bool {
        try InboxRecord.exists(db, key: messageID.uuidString)
    }
}
