import Foundation
import GRDB
import Logging
import Messages
import Store

/// Maps message types to handlers; turns thrown errors into typed error replies.
///
/// Queries get a reply from their handler. Commands registered with
/// ``onCommand(_:database:apply:afterCommit:)`` are applied effectively once: the inbox
/// check, the effect and the inbox record share one SQLite transaction, and the reply is an
/// ``Ack`` (duplicate when the id was seen before).
public struct BusDispatcher: Sendable {
    public typealias Handler = @Sendable (Envelope) async throws -> any Message
    private var handlers: [String: Handler] = [:]
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Registers a request/reply handler for `type`.
    public mutating func on<Request: Message>(
        _ type: Request.Type, _ handler: @escaping @Sendable (Request, Envelope) async throws -> any Message
    ) {
        handlers[Request.wireName] = { envelope in
            let request = try envelope.decodeBody(Request.self)
            return try await handler(request, envelope)
        }
    }

    /// Registers a command applied effectively once inside `database`.
    ///
    /// `apply` runs inside the write transaction that also records the message id; a
    /// throw rolls both back and the sender retries. `afterCommit` runs after a first
    /// application commits (to wake a worker, say).
    public mutating func onCommand<Command: Message>(
        _ type: Command.Type, database: ServiceDatabase,
        apply: @escaping @Sendable (Command, Envelope, Database) throws -> Void,
        afterCommit: (@Sendable (Command) async -> Void)? = nil
    ) {
        handlers[Command.wireName] = { envelope in
            let command = try envelope.decodeBody(Command.self)
            let duplicate = try await database.write { db in
                if try InboxRecord.contains(db, messageID: envelope.id) { return true }
                try apply(command, envelope, db)
                try InboxRecord(messageID: envelope.id, type: envelope.type, sender: envelope.sender).insert(db)
                return false
            }
            if !duplicate { await afterCommit?(command) }
            return Ack(messageID: envelope.id, duplicate: duplicate)
        }
    }

    /// Handles one envelope and returns the reply frame.
    public func dispatch(_ envelope: Envelope, node: String) async -> Data {
        let reply: any Message
        if let handler = handlers[envelope.type] {
            do {
                reply = try await handler(envelope)
            } catch let error as WireError {
                logger.warning("refused \(envelope.type)", metadata: ["from": "\(envelope.sender)", "code": "\(error.code.rawValue)", "reason": "\(error.message)"])
                reply = ErrorReply(error)
            } catch {
                logger.error("failed \(envelope.type)", metadata: ["from": "\(envelope.sender)", "error": "\(error)"])
                reply = ErrorReply(code: .internalError, message: "\(error)")
            }
        } else {
            logger.warning("refused \(envelope.type)", metadata: ["from": "\(envelope.sender)", "code": "unknown-type"])
            reply = ErrorReply(code: .unknownType, message: "this service does not handle '\(envelope.type)'")
        }
        return Self.encode(reply, node: node, correlationID: envelope.id)
    }

    static func encode(_ reply: any Message, node: String, correlationID: UUID) -> Data {
        func open<M: Message>(_ message: M) -> Data? {
            try? EnvelopeCodec.encode(message, sender: node, correlationID: correlationID)
        }
        if let frame = open(reply) { return frame }
        let fallback = ErrorReply(code: .internalError, message: "could not encode the reply")
        return (try? EnvelopeCodec.encode(fallback, sender: node, correlationID: correlationID)) ?? Data()
    }
}
