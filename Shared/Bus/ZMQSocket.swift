import CZeroMQ
import Foundation

/// A ZeroMQ socket; confined to the one thread that created it (libzmq sockets are not thread-safe).
final class ZMQSocket {
    let handle: UnsafeMutableRawPointer
    private let message: UnsafeMutablePointer<zmq_msg_t>

    init(context: ZMQContext, type: Int32) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type) else { throw ZMQError.last("zmq_socket") }
        self.handle = handle
        message = .allocate(capacity: 1)
        try set(ZMQ_LINGER, 0)
    }

    deinit {
        message.deallocate()
    }

    func set(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(\(option))")
        }
    }

    func set(_ option: Int32, string: String) throws(ZMQError) {
        let bytes = Array(string.utf8)
        let result = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard result == 0 else { throw ZMQError.last("zmq_setsockopt(\(option))") }
    }

    /// Binds and returns the endpoint actually bound (a `*` or `0` port resolved).
    func bind(_ endpoint: String) throws(ZMQError) -> String {
        let normalized = endpoint.hasSuffix(":0") ? String(endpoint.dropLast()) + "*" : endpoint
        guard zmq_bind(handle, normalized) == 0 else { throw ZMQError.last("bind \(endpoint)") }
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
            throw ZMQError.last("zmq_getsockopt(LAST_ENDPOINT)")
        }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last("connect \(endpoint)") }
    }

    /// Sends a multipart message without blocking; false when it would block.
    func send(_ frames: [Data]) throws(ZMQError) -> Bool {
        for (index, frame) in frames.enumerated() {
            let flags = ZMQ_DONTWAIT | (index < frames.count - 1 ? ZMQ_SNDMORE : 0)
            let result = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if result < 0 {
                let error = zmq_errno()
                if error == EAGAIN && index == 0 { return false }
                throw ZMQError(operation: "zmq_send", errno: error)
            }
        }
        return true
    }

    /// Receives one whole multipart message without blocking; nil when none is waiting.
    func receive() throws(ZMQError) -> [Data]? {
        try receiveWithMetadata()?.frames
    }

    /// What libzmq knows about the connection a message came from.
    struct ConnectionMetadata {
        /// The user id the ZAP handler returned: the client's Curve public key (Z85).
        var userID: String?
        /// The remote IP address of a TCP connection.
        var peerAddress: String?
    }

    /// Like ``receive()``, with the connection's metadata read from the message's last frame.
    func receiveWithMetadata() throws(ZMQError) -> (frames: [Data], metadata: ConnectionMetadata)? {
        var frames: [Data] = []
        while true {
            zmq_msg_init(message)
            defer { zmq_msg_close(message) }
            let size = zmq_msg_recv(message, handle, frames.isEmpty ? ZMQ_DONTWAIT : 0)
            if size < 0 {
                let error = zmq_errno()
                if error == EAGAIN && frames.isEmpty { return nil }
                throw ZMQError(operation: "zmq_msg_recv", errno: error)
            }
            if let data = zmq_msg_data(message) {
                frames.append(Data(bytes: data, count: Int(size)))
            } else {
                frames.append(Data())
            }
            if zmq_msg_more(message) == 0 {
                return (frames, ConnectionMetadata(userID: property("User-Id"), peerAddress: property("Peer-Address")))
            }
        }
    }

    /// A metadata property of the message currently in `message`; nil when libzmq has none.
    private func property(_ name: String) -> String? {
        guard let value = zmq_msg_gets(message, name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    func set(_ option: Int32, int64 value: Int64) throws(ZMQError) {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(\(option))")
        }
    }

    func close() {
        zmq_close(handle)
    }
}

/// Wakes a thread blocked in `zmq_poll` from another thread through a pipe.
final class WakePipe: @unchecked Sendable {
    // Plain file descriptors; write() and read() are thread-safe.
    let readDescriptor: Int32
    let writeDescriptor: Int32

    init() {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { preconditionFailure("pipe() failed: out of file descriptors") }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
        _ = fcntl(readDescriptor, F_SETFL, fcntl(readDescriptor, F_GETFL) | O_NONBLOCK)
        _ = fcntl(writeDescriptor, F_SETFL, fcntl(writeDescriptor, F_GETFL) | O_NONBLOCK)
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(readDescriptor, &buffer, buffer.count) > 0 {}
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }
}

/// Polls a socket and a wake pipe; returns (socketReadable, woken).
func pollSocket(_ socket: ZMQSocket, wake: WakePipe, timeoutMilliseconds: Int) -> (readable: Bool, woken: Bool) {
    var items = [
        zmq_pollitem_t(socket: socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
        zmq_pollitem_t(socket: nil, fd: wake.readDescriptor, events: Int16(ZMQ_POLLIN), revents: 0),
    ]
    let result = zmq_poll(&items, 2, timeoutMilliseconds)
    guard result > 0 else { return (false, false) }
    return (items[0].revents & Int16(ZMQ_POLLIN) != 0, items[1].revents & Int16(ZMQ_POLLIN) != 0)
}
