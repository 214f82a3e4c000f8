import Clocks
import CZeroMQ
import Foundation
import Logging
import Messages

/// A DEALER connection to one peer's inbox, with request/reply and deadlines.
///
/// Safe to share: requests from any task are handed to the socket's own thread. A request
/// whose reply does not arrive before its deadline fails with ``BusError/timeout``; a late
/// reply is dropped. ZeroMQ reconnects by itself when the peer restarts. Deadlines run on
/// the monotonic clock (a transport timeout is real time); envelopes are stamped with the
/// service's clock.
public final class BusClient: @unchecked Sendable {
    // Mutable state lives in `state`; the socket is confined to the client thread.
    public let node: String
    public let peer: String
    public let endpoint: String
    private let security: BusClientSecurity?
    private let sourceAddress: String?
    private let journal: Journal?
    private let clock: any ServiceClock
    private let logger: Logger
    private let context = ZMQContext()
    private let wake = WakePipe()
    private let stopped = StopFlag()
    private let state = Mutex(ClientState())
    private let started = Mutex(false)

    struct Pending {
        var continuation: CheckedContinuation<Envelope, any Error>
        var deadline: ContinuousClock.Instant
    }

    struct ClientState {
        var outgoing: [Data] = []
        var pending: [UUID: Pending] = [:]
    }

    /// - Parameters:
    ///   - node: this process's node name (the envelope's sender).
    ///   - peer: a name for the peer, used in errors and logs.
    ///   - sourceAddress: the local IPv4 address connections leave from (an agent's own
    ///     address: the MP takes a client's address from its connection); nil: the system's choice.
    public init(node: String, peer: String, endpoint: String, security: BusClientSecurity?,
                sourceAddress: String? = nil, journal: Journal? = nil, clock: any ServiceClock, logger: Logger) {
        self.node = node
        self.peer = peer
        self.endpoint = endpoint
        self.security = security
        self.sourceAddress = sourceAddress
        self.journal = journal
        self.clock = clock
        self.logger = logger
    }

    deinit {
        stopped.set()
        wake.wake()
    }

    /// Sends `request` and waits for its reply (the type the request names).
    ///
    /// An ``ErrorReply`` from the peer throws ``BusError/remote(_:)``; a reply of another
    /// type throws ``BusError/unexpectedReply(peer:type:)``.
    public func request<R: Request>(_ request: R, timeout: Duration = .seconds(10)) async throws -> R.Reply {
        let id = UUID()
        let frame = try EnvelopeCodec.encode(request, id: id, sender: node, sentAt: clock.now)
        let envelope = try await send(frame: frame, id: id, timeout: timeout)
        return try Self.decodeReply(envelope, expecting: R.Reply.self, peer: peer)
    }

    /// Sends a pre-encoded frame whose envelope id is `id` and returns the reply envelope.
    public func send(frame: Data, id: UUID, timeout: Duration) async throws -> Envelope {
        try ensureStarted()
        // Cancelling the task (a service shutting down) fails the request at once instead of
        // leaving it to its deadline.
        return try await withTaskCancellationHandler {
            try await register(frame: frame, id: id, deadline: .now + timeout)
        } onCancel: {
            let waiting = state.withLock { $0.pending.removeValue(forKey: id) }
            waiting?.continuation.resume(throwing: CancellationError())
        }
    }

    private func register(frame: Data, id: UUID, deadline: ContinuousClock.Instant) async throws -> Envelope {
        try await withCheckedThrowingContinuation { continuation in
            let refusal: (any Error)? = state.withLock { state -> (any Error)? in
                if Task.isCancelled { return CancellationError() }
                if stopped.isSet { return BusError.closed(peer: peer) }
                if state.pending[id] != nil { return BusError.duplicateRequest(peer: peer, id: id) }
                state.pending[id] = Pending(continuation: continuation, deadline: deadline)
                state.outgoing.append(frame)
                return nil
            }
            if let refusal {
                continuation.resume(throwing: refusal)
            } else {
                wake.wake()
            }
        }
    }

    /// Closes the connection; waiting requests fail with ``BusError/closed``.
    public func close() {
        stopped.set()
        wake.wake()
    }

    /// The reply in `envelope` as `Reply`: an ``ErrorReply`` throws ``BusError/remote(_:)``,
    /// another type ``BusError/unexpectedReply(peer:type:)``. For callers that sent a
    /// pre-encoded frame with ``send(frame:id:timeout:)`` (the outbox).
    public static func decodeReply<Reply: Message>(_ envelope: Envelope, expecting: Reply.Type, peer: String) throws -> Reply {
        if envelope.type == ErrorReply.wireName {
            let error = try envelope.decodeBody(ErrorReply.self)
            throw BusError.remote(peer: peer, WireError(code: error.code, message: error.message))
        }
        guard envelope.type == Reply.wireName else {
            throw BusError.unexpectedReply(peer: peer, type: envelope.type)
        }
        return try envelope.decodeBody(Reply.self)
    }

    private func ensureStarted() throws {
        // Holding the lock while connecting makes concurrent first requests wait for one
        // attempt; a failed attempt leaves `started` false so the next request tries again
        // instead of queueing into a client with no thread.
        try started.withLock { started in
            guard !started else { return }
            try startThread()
            started = true
        }
    }

    private func startThread() throws {
        let socket = try ZMQSocket(context: context, type: ZMQ_DEALER)
        do {
            try socket.set(ZMQ_SNDHWM, 100_000)
            try socket.set(ZMQ_RCVHWM, 100_000)
            try socket.set(ZMQ_RECONNECT_IVL, 100)
            try socket.set(ZMQ_RECONNECT_IVL_MAX, 2000)
            // A reply larger than any frame a server may send is refused, not buffered.
            try socket.set(ZMQ_MAXMSGSIZE, int64: Int64(EnvelopeCodec.defaultMaximumFrameSize) + 4096)
            if let security {
                try socket.set(ZMQ_CURVE_SERVERKEY, string: security.serverKey)
                try socket.set(ZMQ_CURVE_PUBLICKEY, string: security.identity.publicKey)
                try socket.set(ZMQ_CURVE_SECRETKEY, string: security.identity.secretKey)
            }
            try socket.connect(Self.connectEndpoint(endpoint, sourceAddress: sourceAddress))
        } catch {
            socket.close()
            throw error
        }
        let box = SocketBox(socket)
        let thread = Thread { [self] in serve(box.socket) }
        thread.name = "bus-client-\(peer)"
        thread.start()
    }

    /// libzmq's `tcp://SOURCE:0;HOST:PORT` form binds the connection's local address.
    static func connectEndpoint(_ endpoint: String, sourceAddress: String?) -> String {
        guard let sourceAddress, !sourceAddress.isEmpty, endpoint.hasPrefix("tcp://") else { return endpoint }
        return "tcp://\(sourceAddress):0;" + endpoint.dropFirst("tcp://".count)
    }

    private func serve(_ socket: ZMQSocket) {
        defer {
            socket.close()
            let pending = state.withLock { state in
                defer { state.pending.removeAll() }
                return state.pending
            }
            for (_, request) in pending { request.continuation.resume(throwing: BusError.closed(peer: peer)) }
        }
        while !stopped.isSet {
            let (readable, woken) = pollSocket(socket, wake: wake, timeoutMilliseconds: 100)
            if woken { wake.drain() }
            sendQueued(socket)
            if readable {
                while let frames = try? socket.receive() {
                    guard let payload = frames.last else { continue }
                    deliver(payload)
                }
            }
            expireDeadlines()
        }
    }

    private func sendQueued(_ socket: ZMQSocket) {
        let frames = state.withLock { state in
            defer { state.outgoing.removeAll() }
            return state.outgoing
        }
        for (index, frame) in frames.enumerated() {
            do {
                if try socket.send([frame]) {
                    journal?.record(direction: .outgoing, frame: frame)
                } else {
                    // The pipe is full; keep the rest for the next round.
                    state.withLock { $0.outgoing.insert(contentsOf: frames[index...], at: 0) }
                    return
                }
            } catch {
                logger.warning("bus send failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
            }
        }
    }

    private func deliver(_ payload: Data) {
        journal?.record(direction: .incoming, frame: payload)
        guard let envelope = try? EnvelopeCodec.decode(payload, catalog: nil),
              let correlation = envelope.correlationID else {
            logger.warning("dropped an unreadable reply", metadata: ["peer": "\(peer)"])
            return
        }
        let waiting = state.withLock { $0.pending.removeValue(forKey: correlation) }
        waiting?.continuation.resume(returning: envelope)
    }

    private func expireDeadlines() {
        let now = ContinuousClock.now
        let expired = state.withLock { state in
            let ids = state.pending.filter { $0.value.deadline <= now }.map(\.key)
            return ids.compactMap { state.pending.removeValue(forKey: $0) }
        }
        for request in expired {
            request.continuation.resume(throwing: BusError.timeout(peer: peer, endpoint: endpoint))
        }
    }
}

/// The keys a client needs to reach a CurveZMQ server.
public struct BusClientSecurity: Sendable {
    public var identity: CurveKeyPair
    /// The server's public key (Z85).
    public var serverKey: String

    public init(identity: CurveKeyPair, serverKey: String) {
        self.identity = identity
        self.serverKey = serverKey
    }
}

/// Why a bus request did not get a normal reply.
public enum BusError: Error, CustomStringConvertible, Sendable {
    case timeout(peer: String, endpoint: String)
    case remote(peer: String, WireError)
    case unexpectedReply(peer: String, type: String)
    case closed(peer: String)
    case duplicateRequest(peer: String, id: UUID)

    public var description: String {
        switch self {
        case .timeout(let peer, let endpoint):
            "no reply from \(peer) at \(endpoint) in time (is it running, and does it accept this key?)"
        case .remote(_, let error):
            error.message
        case .unexpectedReply(let peer, let type):
            "\(peer) answered with an unexpected '\(type)'"
        case .closed(let peer):
            "the connection to \(peer) was closed"
        case .duplicateRequest(let peer, let id):
            "a request \(id) to \(peer) is already waiting for its reply"
        }
    }

    /// The typed error code when the peer refused the request.
    public var remoteCode: ErrorCode? {
        if case .remote(_, let error) = self { return error.code }
        return nil
    }
}
