import Clocks
import Foundation
import GRDB
import Logging
import Messages
public import Metrics
import Store

/// Maps message types to handlers; refuses what the sender may not send; turns thrown
/// errors into typed error replies.
///
/// Before a handler runs, the envelope's authenticated peer (set by the ``BusServer``)
/// must have a role the registration allows (the type's ``Message/allowedSenders`` unless
/// overridden) and the envelope's self-declared `sender` must be that peer's node. Anything
/// else gets ``ErrorCode/notAuthorized``, changes nothing, and is logged (at most a few
/// lines a minute per peer). Queries get a reply from their handler. Commands registered with
/// ``onCommand(_:database:apply:afterCommit:)`` are applied effectively once: the inbox
/// check, the effect and the inbox record share one SQLite transaction, and the reply is an
/// ``Ack`` (duplicate when the id was seen before). Once ``measureHandlers(with:)`` is called,
/// each handler's time goes to ``requestDurationMetric``, per message type.
public struct BusDispatcher: Sendable {
    /// The histogram of handler time, labelled `type` (the message's wire name).
    public static let requestDurationMetric = "ferry_bus_request_duration_seconds"

    public typealias Handler = @Sendable (Envelope) async throws -> any Message
    struct Registration {
        var allowedSenders: Set<PeerRole>
        var handler: Handler
        var duration: Timer?
    }
    private var handlers: [String: Registration] = [:]
    /// Types registered more than once: a wiring mistake the server refuses to start with,
    /// instead of the second handler silently replacing the first.
    public private(set) var duplicateRegistrations: [String] = []
    private let logger: Logger
    private let refusals: RefusalLog
    /// The service's clock: reply timestamps, inbox records, refusal-log windows.
    public let clock: any ServiceClock
    private var metricsFactory: (any MetricsFactory)?

    public init(clock: any ServiceClock, logger: Logger) {
        self.clock = clock
        self.logger = logger
        refusals = RefusalLog(logger: logger)
    }

    /// Registers a request/reply handler for `type`; it answers with the type's ``Request/Reply``.
    ///
    /// - Parameter allowedSenders: who may send it; the type's own list unless a test
    ///   dispatcher says otherwise.
    public mutating func on<R: Request>(
        _ type: R.Type, allowedSenders: Set<PeerRole> = R.allowedSenders,
        _ handler: @escaping @Sendable (R, Envelope) async throws -> R.Reply
    ) {
        register(R.wireName, allowedSenders: allowedSenders) { envelope in
            let request = try envelope.decodeBody(R.self)
            return try await handler(request, envelope)
        }
    }

    /// Records each handler's time, per message type, with `factory` (the service's own
    /// registry: swift-metrics' global system is not used, so services in one process stay apart).
    /// Types registered later are measured too.
    public mutating func measureHandlers(with factory: any MetricsFactory) {
        metricsFactory = factory
        for type in handlers.keys { handlers[type]?.duration = Self.durationTimer(type, factory) }
    }

    private static func durationTimer(_ type: String, _ factory: (any MetricsFactory)?) -> Timer? {
        factory.map { Timer(label: requestDurationMetric, dimensions: [("type", type)], preferredDisplayUnit: .seconds, factory: $0) }
    }

    private mutating func register(_ type: String, allowedSenders: Set<PeerRole>, _ handler: @escaping Handler) {
        if handlers[type] != nil { duplicateRegistrations.append(type) }
        handlers[type] = Registration(allowedSenders: allowedSenders, handler: handler, duration: Self.durationTimer(type, metricsFactory))
    }

    /// Registers a command applied effectively once inside `database`.
    ///
    /// `apply` runs inside the write transaction that also records the message id; a
    /// throw rolls both back and the sender retries. `afterCommit` runs after a first
    /// application commits (to wake a worker, say).
    ///
    /// `apply` says whether it changed anything: ``CommandEffect/skipped(_:)`` (an older
    /// snapshot after a newer one, say) is acknowledged and recorded like an applied
    /// command, but `afterCommit` does not run, so nothing claims it was applied.
    public mutating func onCommand<Command: Request>(
        _ type: Command.Type, database: ServiceDatabase, allowedSenders: Set<PeerRole> = Command.allowedSenders,
        apply: @escaping @Sendable (Command, Envelope, Database) throws -> CommandEffect,
        afterCommit: (@Sendable (Command) async -> Void)? = nil
    ) where Command.Reply == Ack {
        let logger = logger
        let clock = clock
        register(Command.wireName, allowedSenders: allowedSenders) { envelope in
            let command = try envelope.decodeBody(Command.self)
            let effect = try await database.write { db -> CommandEffect? in
                if try InboxRecord.contains(db, messageID: envelope.id) { return nil }
                let effect = try apply(command, envelope, db)
                try InboxRecord(messageID: envelope.id, type: envelope.type, sender: envelope.sender, receivedAt: clock.now).insert(db)
                return effect
            }
            switch effect {
            case .applied?: await afterCommit?(command)
            case .skipped(let reason)?: logger.debug("skipped \(envelope.type)", metadata: ["from": "\(envelope.sender)", "reason": "\(reason)"])
            case nil: break
            }
            return Ack(messageID: envelope.id, duplicate: effect == nil)
        }
    }

    /// Handles one envelope and returns the reply frame.
    public func dispatch(_ envelope: Envelope, node: String) async -> Data {
        let reply: any Message
        if let registration = handlers[envelope.type] {
            if let refusal = Self.authorize(envelope, allowedSenders: registration.allowedSenders) {
                refusals.record(envelope, refusal, now: clock.now)
                return Self.encode(ErrorReply(refusal), node: node, correlationID: envelope.id, sentAt: clock.now)
            }
            let started = ContinuousClock.now
            defer { registration.duration?.record(duration: started.duration(to: .now)) }
            do {
                reply = try await registration.handler(envelope)
            } catch let error as WireError where error.code == .notAuthorized {
                refusals.record(envelope, error, now: clock.now)
                reply = ErrorReply(error)
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
        return Self.encode(reply, node: node, correlationID: envelope.id, sentAt: clock.now)
    }

    /// Nil when the envelope's peer may send it; else why not.
    static func authorize(_ envelope: Envelope, allowedSenders: Set<PeerRole>) -> WireError? {
        guard let peer = envelope.peer else {
            return WireError(code: .notAuthorized, message: "\(envelope.type): the sender '\(envelope.sender.prefix(64))' is not a known client of this service")
        }
        guard allowedSenders.contains(peer.role) else {
            let allowed = allowedSenders.sorted().map(\.rawValue).joined(separator: ", ")
            return WireError(code: .notAuthorized,
                             message: "\(envelope.type) may not be sent by \(peer.role.rawValue) '\(peer.node)' (allowed: \(allowed.isEmpty ? "nobody" : allowed))")
        }
        guard envelope.sender == peer.node else {
            return WireError(code: .notAuthorized,
                             message: "\(envelope.type): the envelope says it is from '\(envelope.sender.prefix(64))' but the connection is '\(peer.node)'")
        }
        return nil
    }

    static func encode(_ reply: any Message, node: String, correlationID: UUID, sentAt: Date) -> Data {
        func open<M: Message>(_ message: M) -> Data? {
            try? EnvelopeCodec.encode(message, sender: node, correlationID: correlationID, sentAt: sentAt)
        }
        if let frame = open(reply) { return frame }
        let fallback = ErrorReply(code: .internalError, message: "could not encode the reply")
        return (try? EnvelopeCodec.encode(fallback, sender: node, correlationID: correlationID, sentAt: sentAt)) ?? Data()
    }
}

/// What a command handler did with a command it accepted.
public enum CommandEffect: Sendable, Equatable {
    case applied
    /// Accepted and recorded, but nothing changed (an older update, say); the reason is logged at debug.
    case skipped(String)
}

/// Logs refused requests, at most `burst` lines per peer per minute, then one line saying
/// how many were not logged: a hostile peer must not be able to flood the log.
final class RefusalLog: Sendable {
    private struct Window { var start: Date; var logged: Int; var suppressed: Int }
    private let logger: Logger
    private let burst: Int
    private let windows = Mutex([String: Window]())

    init(logger: Logger, burst: Int = 5) {
        self.logger = logger
        self.burst = burst
    }

    func record(_ envelope: Envelope, _ error: WireError, now: Date) {
        let who = envelope.peer.map { "\($0.role.rawValue) \($0.node)" } ?? "unknown sender \(envelope.sender.prefix(64))"
        let (log, suppressed) = windows.withLock { windows -> (Bool, Int) in
            var window = windows[who] ?? Window(start: now, logged: 0, suppressed: 0)
            var reported = 0
            if now.timeIntervalSince(window.start) >= 60 {
                reported = window.suppressed
                window = Window(start: now, logged: 0, suppressed: 0)
            }
            let log = window.logged < burst
            if log { window.logged += 1 } else { window.suppressed += 1 }
            // Bounded memory: a flood of invented sender names must not grow this forever.
            if windows.count > 10_000 { windows.removeAll() }
            windows[who] = window
            return (log, reported)
        }
        if suppressed > 0 {
            logger.warning("not authorized: more refusals not logged", metadata: ["peer": "\(who)", "count": "\(suppressed)"])
        }
        guard log else { return }
        logger.warning("not authorized: refused \(envelope.type)", metadata: [
            "peer": "\(who)", "address": "\(envelope.peer?.address ?? "-")", "reason": "\(error.message)"])
    }
}
