import CZeroMQ
import Foundation
import Logging

/// The ZAP handler of one context: admits a CurveZMQ client only if `isAllowed` says its key is.
///
/// It runs on its own thread; libzmq asks it on every handshake.
final class CurveAuthenticator: @unchecked Sendable {
    // The socket is used only on `thread`; the other fields are immutable.
    private let context: ZMQContext
    private let isAllowed: @Sendable (String) -> Bool
    private let logger: Logger
    private let wake = WakePipe()
    private let stopped = StopFlag()
    private let ready = DispatchSemaphore(value: 0)
    private var bindError: ZMQError?

    init(context: ZMQContext, logger: Logger, isAllowed: @escaping @Sendable (String) -> Bool) {
        self.context = context
        self.isAllowed = isAllowed
        self.logger = logger
    }

    /// Starts the handler and returns once it is bound (it must be before any CURVE server binds).
    func start() throws {
        let thread = Thread { [self] in run() }
        thread.name = "zap"
        thread.start()
        ready.wait()
        if let bindError { throw bindError }
    }

    func stop() {
        stopped.set()
        wake.wake()
    }

    private func run() {
        let socket: ZMQSocket
        do {
            socket = try ZMQSocket(context: context, type: ZMQ_REP)
            _ = try socket.bind("inproc://zeromq.zap.01")
        } catch {
            bindError = error
            ready.signal()
            return
        }
        ready.signal()
        defer { socket.close() }
        while !stopped.isSet {
            let (readable, woken) = pollSocket(socket, wake: wake, timeoutMilliseconds: 500)
            if woken { wake.drain() }
            guard readable else { continue }
            guard let request = try? socket.receive(), request.count >= 6 else { continue }
            let requestID = request[1]
            let mechanism = String(decoding: request[5], as: UTF8.self)
            var allowed = false
            var clientKey = "?"
            if mechanism == "CURVE", request.count >= 7 {
                clientKey = CurveKeyPair.z85(request[6])
                allowed = isAllowed(clientKey)
            }
            if !allowed {
                logger.warning("refused a bus connection", metadata: ["mechanism": "\(mechanism)", "client-key": "\(clientKey)"])
            }
            let reply: [Data] = [
                Data("1.0".utf8), requestID,
                Data((allowed ? "200" : "400").utf8), Data((allowed ? "OK" : "key not allowed").utf8),
                Data((allowed ? clientKey : "").utf8), Data(),
            ]
            _ = try? socket.send(reply)
        }
    }
}

/// A one-way flag shared between threads.
final class StopFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
