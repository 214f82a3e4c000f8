import CZeroMQ
import Foundation

/// A bare CurveZMQ DEALER for sending frames no well-behaved client would send, and
/// reading whatever comes back, correlated or not.
final class CurveDealer {
    private let context: UnsafeMutableRawPointer
    private let socket: UnsafeMutableRawPointer

    init(endpoint: String, serverKey: String, publicKey: String, secretKey: String) throws {
        guard let context = zmq_ctx_new(), let socket = zmq_socket(context, ZMQ_DEALER) else {
            throw FixtureError("cannot create a ZeroMQ socket")
        }
        self.context = context
        self.socket = socket
        var linger: Int32 = 0
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        for (option, key) in [(ZMQ_CURVE_SERVERKEY, serverKey), (ZMQ_CURVE_PUBLICKEY, publicKey), (ZMQ_CURVE_SECRETKEY, secretKey)] {
            let bytes = Array(key.utf8)
            _ = bytes.withUnsafeBytes { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }
        }
        guard zmq_connect(socket, endpoint) == 0 else { throw FixtureError("cannot connect to \(endpoint)") }
    }

    deinit {
        zmq_close(socket)
        zmq_ctx_term(context)
    }

    func send(_ frame: Data) throws {
        let result = frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, 0) }
        guard result >= 0 else { throw FixtureError("zmq_send failed") }
    }

    /// The next reply frame, or nil after `timeout`; polls so no thread blocks.
    func receive(timeout: Duration = .seconds(10)) async -> Data? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        // One last look after the deadline: a starved test task may wake only after it.
        var lastLook = false
        while !lastLook {
            lastLook = clock.now >= deadline
            zmq_msg_init(message)
            let size = zmq_msg_recv(message, socket, ZMQ_DONTWAIT)
            if size >= 0 {
                let data = Data(bytes: zmq_msg_data(message), count: Int(size))
                zmq_msg_close(message)
                return data
            }
            zmq_msg_close(message)
            if lastLook { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}
