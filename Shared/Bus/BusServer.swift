import CZeroMQ
import Foundation
import Logging
import Messages
import ServiceLifecycle

/// A service's inbox: one ROUTER socket that answers every request with one reply.
///
/// Frames are validated by ``EnvelopeCodec`` first; anything malformed, unknown, too new or
/// too large is answered with an ``ErrorReply`` and logged, and the server keeps serving.
/// Valid envelopes go to the ``BusDispatcher`` with the peer they came from; its reply is
/// sent back to the requester. With a Curve identity, only clients whose public keys are in
/// `clients` may connect, and each message's peer is the one its key belongs to. Without
/// one (`--insecure-bus`), nothing is proven: the envelope's declared sender is looked up.
/// Frames above `maximumFrameSize` are refused by libzmq before they are buffered whole.
public final class BusServer: Service, @unchecked Sendable {
    // Mutable state is guarded by `state`; the socket lives only on the server thread.
    public let node: String
    private let requestedEndpoint: String
    private let security: BusServerSecurity?
    private let clients: PeerDirectory
    private let admitted: AdmittedPeers?
    private let dispatcher: BusDispatcher
    private let maximumFrameSize: Int
    private let journal: Journal?
    private let logger: Logger
    private let context = ZMQContext()
    private let wake = WakePipe()
    private let stopped = StopFlag()
    private let state = Mutex(ServerState())
    private var authenticator: CurveAuthenticator?

    struct ServerState {
        var endpoint: String?
        var replies: [(identity: Data, frame: Data)] = []
        var finished = false
    }

    /// - Parameter admitted: clients admitted at run time besides `clients` (nil: none).
    public init(node: String, endpoint: String, security: BusServerSecurity?, clients: PeerDirectory, admitted: AdmittedPeers? = nil,
                dispatcher: BusDispatcher, maximumFrameSize: Int = EnvelopeCodec.defaultMaximumFrameSize, journal: Journal? = nil,
                logger: Logger) {
        self.admitted = admitted
        self.node = node
        self.requestedEndpoint = endpoint
        self.security = security
        self.clients = clients
        self.dispatcher = dispatcher
        self.maximumFrameSize = maximumFrameSize
        self.journal = journal
        self.logger = logger
    }

    /// The size above which libzmq drops the connection instead of delivering the frame.
    static func connectionFrameLimit(_ maximumFrameSize: Int) -> Int64 {
        Int64(max(maximumFrameSize * 2, maximumFrameSize + 1024 * 1024))
    }

    /// The endpoint actually bound (port 0 resolved), once ``start()`` returned.
    public var endpoint: String? { state.withLock { $0.endpoint } }

    /// Binds the socket and starts serving on a dedicated thread; returns the bound endpoint.
    @discardableResult
    public func start() throws -> String {
        if let endpoint { return endpoint }
        guard dispatcher.duplicateRegistrations.isEmpty else {
            throw BusWiringError("handlers registered twice for \(dispatcher.duplicateRegistrations.joined(separator: ", ")): the second would silently replace the first")
        }
        if let security {
            let configured = clients.allowedKeys
            let authenticator = CurveAuthenticator(context: context, logger: logger) { [admitted] key in
                configured.contains(key) || admitted?.contains(publicKey: key) == true
            }
            try authenticator.start()
            self.authenticator = authenticator
        }
        let socket = try ZMQSocket(context: context, type: ZMQ_ROUTER)
        let bound: String
        do {
            try socket.set(ZMQ_ROUTER_MANDATORY, 1)
            try socket.set(ZMQ_SNDHWM, 100_000)
            try socket.set(ZMQ_RCVHWM, 100_000)
            // libzmq drops the connection of a peer sending more than twice the frame limit
            // (at least 1 MiB more): memory stays bounded instead of buffering a 300 MB frame
            // before the codec can refuse it. Frames between the limit and that still get a
            // typed error reply, so a sender that is merely too big learns why.
            try socket.set(ZMQ_MAXMSGSIZE, int64: Self.connectionFrameLimit(maximumFrameSize))
            if let security {
                try socket.set(ZMQ_CURVE_SERVER, 1)
                try socket.set(ZMQ_CURVE_SECRETKEY, string: security.identity.secretKey)
                try socket.set(ZMQ_ZAP_DOMAIN, string: "ferry")
            }
            bound = try socket.bind(requestedEndpoint)
        } catch {
            // An open socket or a running ZAP thread would make the context's termination hang.
            socket.close()
            authenticator?.stop()
            authenticator = nil
            throw error
        }
        state.withLock { $0.endpoint = bound }
        let box = SocketBox(socket)
        let thread = Thread { [self] in serve(box.socket) }
        thread.name = "bus-server"
        thread.start()
        logger.info("bus listening", metadata: ["endpoint": "\(bound)", "curve": "\(security != nil)"])
        return bound
    }

    /// Serves until graceful shutdown, then stops.
    public func run() async throws {
        try start()
        try? await gracefulShutdown()
        stop()
    }

    /// Stops serving; pending handler replies are dropped.
    public func stop() {
        stopped.set()
        wake.wake()
        authenticator?.stop()
    }

    private func serve(_ socket: ZMQSocket) {
        defer {
            socket.close()
            state.withLock { $0.finished = true }
        }
        while !stopped.isSet {
            let (readable, woken) = pollSocket(socket, wake: wake, timeoutMilliseconds: 250)
            if woken { wake.drain() }
            flushReplies(socket)
            guard readable else { continue }
            // Drain everything waiting, so a burst is not served one poll at a time.
            while let (frames, metadata) = try? socket.receiveWithMetadata() {
                receive(frames, metadata: metadata)
            }
            flushReplies(socket)
        }
    }

    private func receive(_ frames: [Data], metadata: ZMQSocket.ConnectionMetadata) {
        // A DEALER's request arrives as [identity, payload]; REQ-style adds an empty delimiter.
        guard frames.count >= 2, let identity = frames.first, let payload = frames.last else {
            logger.warning("dropped a bus message with no payload frame")
            return
        }
        journal?.record(direction: .incoming, frame: payload)
        var envelope: Envelope
        do {
            envelope = try EnvelopeCodec.decode(payload, maximumFrameSize: maximumFrameSize)
        } catch {
            logger.warning("refused a bus frame", metadata: ["code": "\(error.code.rawValue)", "reason": "\(error.message)"])
            // Even an oversized frame is in memory already: find its id so the error reaches the requester.
            let correlation = EnvelopeCodec.peekID(payload)
            enqueueReply(identity: identity, reply: ErrorReply(error), correlationID: correlation)
            return
        }
        if security != nil {
            // The ZAP handler admitted only listed keys and returned the key as the user id.
            envelope.peer = metadata.userID.flatMap {
                clients.peer(publicKey: $0, address: metadata.peerAddress) ?? admitted?.peer(publicKey: $0, address: metadata.peerAddress)
            }
        } else {
            envelope.peer = clients.peer(declaredNode: envelope.sender, address: metadata.peerAddress)
                ?? admitted?.peer(declaredNode: envelope.sender, address: metadata.peerAddress)
        }
        let request = envelope
        Task(executorPreference: BusExecutor.shared) { [dispatcher, node] in
            let reply = await dispatcher.dispatch(request, node: node)
            self.enqueueReply(identity: identity, frame: reply)
        }
    }

    private func enqueueReply<M: Message>(identity: Data, reply: M, correlationID: UUID?) {
        guard let frame = try? EnvelopeCodec.encode(reply, sender: node, correlationID: correlationID, sentAt: dispatcher.clock.now) else { return }
        enqueueReply(identity: identity, frame: frame)
    }

    private func enqueueReply(identity: Data, frame: Data) {
        // Only the first reply of a batch writes to the pipe: the server thread takes them all
        // at once, so a later one finds the wake-up already pending (one syscall, not one each).
        let first = state.withLock { state in
            state.replies.append((identity, frame))
            return state.replies.count == 1
        }
        if first { wake.wake() }
    }

    private func flushReplies(_ socket: ZMQSocket) {
        let replies = state.withLock { state in
            defer { state.replies.removeAll() }
            return state.replies
        }
        for reply in replies {
            journal?.record(direction: .outgoing, frame: reply.frame)
            do {
                if try !socket.send([reply.identity, reply.frame]) {
                    logger.warning("dropped a reply: the requester's queue is full")
                }
            } catch {
                // EHOSTUNREACH: the requester went away; its request will time out on its side.
                logger.debug("dropped a reply", metadata: ["reason": "\(error)"])
            }
        }
    }
}

/// A server's own Curve identity; the clients it admits are its ``PeerDirectory``.
public struct BusServerSecurity: Sendable {
    public var identity: CurveKeyPair

    public init(identity: CurveKeyPair) {
        self.identity = identity
    }
}

/// Carries a socket to the thread that will own it.
final class SocketBox: @unchecked Sendable {
    let socket: ZMQSocket
    init(_ socket: ZMQSocket) { self.socket = socket }
}

/// A service wired its bus wrongly (a programming error found at start-up).
public struct BusWiringError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
