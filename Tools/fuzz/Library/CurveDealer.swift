import CZeroMQ
import Foundation

/// A CurveZMQ DEALER that sends any bytes as a frame and collects whatever comes back, so
/// the fuzzer can send what no ``BusClient`` would and count replies without matching ids.
///
/// Confined to the thread that uses it (libzmq sockets are not thread-safe).
public final class CurveDealer {
    private let context: UnsafeMutableRawPointer
    private let socket: UnsafeMutableRawPointer
    private let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)

    /// - Parameter endpoint: `tcp://HOST:PORT`, or `tcp://SOURCE:0;HOST:PORT` to leave from SOURCE.
    public init(endpoint: String, serverKey: String, publicKey: String, secretKey: String) throws {
        guard let context = zmq_ctx_new() else { throw FuzzError("cannot create a ZeroMQ context") }
        guard let socket = zmq_socket(context, ZMQ_DEALER) else {
            zmq_ctx_term(context)
            throw FuzzError("cannot create a ZeroMQ socket")
        }
        self.context = context
        self.socket = socket
        var linger: Int32 = 0
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        var highWater: Int32 = 100_000
        zmq_setsockopt(socket, ZMQ_SNDHWM, &highWater, MemoryLayout<Int32>.size)
        zmq_setsockopt(socket, ZMQ_RCVHWM, &highWater, MemoryLayout<Int32>.size)
        for (option, key) in [(ZMQ_CURVE_SERVERKEY, serverKey), (ZMQ_CURVE_PUBLICKEY, publicKey), (ZMQ_CURVE_SECRETKEY, secretKey)] {
            let bytes = Array(key.utf8)
            _ = bytes.withUnsafeBytes { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }
        }
        guard zmq_connect(socket, endpoint) == 0 else { throw FuzzError("cannot connect to \(endpoint)") }
    }

    deinit {
        message.deallocate()
        zmq_close(socket)
        zmq_ctx_term(context)
    }

    /// Sends one frame; false when the queue is full (the caller waits for replies first).
    public func send(_ frame: Data) -> Bool {
        frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, ZMQ_DONTWAIT) } >= 0
    }

    /// The next reply frame, waiting at most `milliseconds`; nil when none came.
    public func receive(milliseconds: Int) -> Data? {
        var item = zmq_pollitem_t(socket: socket, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        guard zmq_poll(&item, 1, milliseconds) > 0 else { return nil }
        zmq_msg_init(message)
        defer { zmq_msg_close(message) }
        let size = zmq_msg_recv(message, socket, ZMQ_DONTWAIT)
        guard size >= 0 else { return nil }
        return Data(bytes: zmq_msg_data(message), count: Int(size))
    }
}

/// Why a fuzzing run could not be carried out (not a finding).
public struct FuzzError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
