import Clocks
import Foundation
import GRDB
import Logging
import Messages
import ServiceLifecycle
import Store

/// Delivers outbox commands until each is acknowledged.
///
/// Each due message is sent to its peer; an ``Ack`` for its id deletes it, anything else
/// (timeout, refusal) schedules another attempt with exponential backoff. Within one round
/// a failure holds back that peer's later messages (the peer is probably down), but order
/// across rounds is not guaranteed: a backed-off message can be overtaken, so receivers
/// must not depend on command order. A message the peer refuses as unreadable can never
/// succeed and is parked (kept, logged) rather than retried forever.
public final class OutboxPump: Service, Sendable {
    private let database: ServiceDatabase
    private let clock: any ServiceClock
    private let client: @Sendable (String) -> BusClient?
    private let logger: Logger
    private let idleInterval: Duration
    private let maximumBackoff: TimeInterval
    private let replyTimeout: Duration
    private let woken = Mutex(false)

    /// - Parameters:
    ///   - clock: retry times are service time; the idle poll between rounds is real time,
    ///     so a test's manual clock delays retries but never a first delivery.
    ///   - client: the connection to a peer by name, or nil if the peer is unknown.
    public init(database: ServiceDatabase, clock: any ServiceClock, logger: Logger, idleInterval: Duration = .milliseconds(500),
                maximumBackoff: TimeInterval = 30, replyTimeout: Duration = .seconds(5),
                client: @escaping @Sendable (String) -> BusClient?) {
        self.database = database
        self.clock = clock
        self.client = client
        self.logger = logger
        self.idleInterval = idleInterval
        self.maximumBackoff = maximumBackoff
        self.replyTimeout = replyTimeout
    }

    /// Asks the pump to look at the outbox now (after a commit that queued something).
    public func wake() {
        woken.withLock { $0 = true }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.deliverDue()
                await self.idle()
            }
        }
    }

    private func idle() async {
        let step = Duration.milliseconds(20)
        var waited = Duration.zero
        while waited < idleInterval, !Task.isCancelled {
            if woken.withLock({ flag in defer { flag = false }; return flag }) { return }
            try? await Task.sleep(for: step)
            waited += step
        }
    }

    /// Sends every due message once; returns how many were acknowledged.
    @discardableResult
    public func deliverDue() async -> Int {
        let now = clock.now
        let due: [OutboxMessage]
        do {
            due = try await database.read { db in
                try OutboxMessage.filter(Column("nextAttemptAt") <= now.timeIntervalSince1970)
                    .order(Column("createdAt")).fetchAll(db)
            }
        } catch {
            logger.error("cannot read the outbox", metadata: ["error": "\(error)"])
            return 0
        }
        var blockedPeers = Set<String>()
        var delivered = 0
        for message in due where !blockedPeers.contains(message.peer) {
            switch await deliver(message, now: now) {
            case .delivered: delivered += 1
            case .parked: break
            case .failed: blockedPeers.insert(message.peer)
            }
        }
        return delivered
    }

    enum Delivery { case delivered, parked, failed }

    private func deliver(_ message: OutboxMessage, now: Date) async -> Delivery {
        guard let id = UUID(uuidString: message.id) else { return .failed }
        guard let connection = client(message.peer) else {
            await reschedule(message, error: "unknown peer '\(message.peer)'", now: now)
            return .failed
        }
        do {
            let reply = try await connection.send(frame: message.frame, id: id, timeout: replyTimeout)
            let ack = try BusClient.decodeReply(reply, expecting: Ack.self, peer: message.peer)
            guard ack.messageID == id else { throw BusError.unexpectedReply(peer: message.peer, type: "ack for another message") }
            _ = try await database.write { db in try OutboxMessage.deleteOne(db, key: message.id) }
            logger.debug("delivered \(message.type)", metadata: ["peer": "\(message.peer)", "id": "\(message.id)", "duplicate": "\(ack.duplicate)"])
            return .delivered
        } catch let error as BusError where error.remoteCode.map(Self.permanentRefusals.contains) == true {
            await park(message, error: "\(error)")
            return .parked
        } catch {
            await reschedule(message, error: "\(error)", now: now)
            return .failed
        }
    }

    /// Refusals no retry can cure: the frame itself is unreadable. An unknown type or an
    /// unsupported version is retried instead, since an upgraded receiver may accept it.
    static let permanentRefusals: Set<ErrorCode> = [.malformed, .missingField, .oversizedFrame]

    /// Keeps a message the peer can never accept, out of the way of the peer's later messages.
    private func park(_ message: OutboxMessage, error: String) async {
        logger.error("\(message.peer) refused \(message.type) as unreadable; parked it (kept in the outbox, not retried)",
                     metadata: ["id": "\(message.id)", "error": "\(error)"])
        do {
            try await database.write { db in
                var parked = message
                parked.attempts += 1
                parked.nextAttemptAt = Date.distantFuture.timeIntervalSince1970
                parked.lastError = "parked: \(error)"
                try parked.update(db)
            }
        } catch {
            logger.error("cannot update the outbox", metadata: ["error": "\(error)"])
        }
    }

    /// The next attempt is counted from `now`, the time this delivery round started.
    private func reschedule(_ message: OutboxMessage, error: String, now: Date) async {
        let attempts = message.attempts + 1
        let delay = min(maximumBackoff, 0.25 * pow(2, Double(min(attempts, 16))))
        if attempts == 1 || attempts % 10 == 0 {
            logger.warning("delivery of \(message.type) to \(message.peer) failed; will retry",
                           metadata: ["attempt": "\(attempts)", "retry-in": "\(delay)s", "error": "\(error)"])
        }
        do {
            try await database.write { db in
                var updated = message
                updated.attempts = attempts
                updated.nextAttemptAt = now.timeIntervalSince1970 + delay
                updated.lastError = error
                try updated.update(db)
            }
        } catch {
            logger.error("cannot update the outbox", metadata: ["error": "\(error)"])
        }
    }
}
