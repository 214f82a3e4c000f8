import Foundation
import GRDB
import Messages
import Store

/// Queues commands in the sender's database, in the caller's transaction.
public enum Outbox {
    /// Writes `command` for `peer` into the outbox; it is sent once the transaction commits
    /// and the ``OutboxPump`` runs. Returns the envelope id the receiver deduplicates on.
    @discardableResult
    public static func enqueue<Command: Message>(
        _ db: Database, _ command: Command, to peer: String, sender: String, now: Date
    ) throws -> UUID {
        let id = UUID()
        let frame = try EnvelopeCodec.encode(command, id: id, sender: sender, sentAt: now)
        try OutboxMessage(id: id, peer: peer, type: Command.wireName, frame: frame, now: now).insert(db)
        return id
    }

    /// Messages not yet acknowledged, oldest first.
    public static func pending(_ db: Database) throws -> [OutboxMessage] {
        try OutboxMessage.order(Column("createdAt")).fetchAll(db)
    }
}
