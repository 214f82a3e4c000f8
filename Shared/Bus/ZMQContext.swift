import CZeroMQ
import Foundation

/// A ZeroMQ context shared by one process's sockets.
///
/// `shutdown()` wakes every blocked call with ETERM; the context is terminated when the
/// last reference goes away.
public final class ZMQContext: @unchecked Sendable {
    // libzmq contexts are thread-safe; only sockets are not.
    let handle: UnsafeMutableRawPointer

    public init() {
        guard let handle = zmq_ctx_new() else {
            preconditionFailure("zmq_ctx_new failed: out of memory")
        }
        self.handle = handle
    }

    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    deinit {
        zmq_ctx_term(handle)
    }

    /// One context for the process: sockets made from it can reach each other's inproc endpoints.
    public static let shared = ZMQContext()
}

/// A ZeroMQ error with libzmq's own text.
public struct ZMQError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var errno: Int32
    public var description: String { "\(operation): \(String(cString: zmq_strerror(errno)))" }

    static func last(_ operation: String) -> ZMQError {
        ZMQError(operation: operation, errno: zmq_errno())
    }
}
