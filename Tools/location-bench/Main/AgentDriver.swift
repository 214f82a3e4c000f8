import CZeroMQ
import Foundation
import Messages

/// Simulated agents driven by one thread: each agent has its own Curve connection, from its
/// own address, and at most one request in flight; the thread polls all of its agents'
/// sockets and sends an agent's next request as soon as its reply is in.
///
/// Multiplexing many agents on a few threads (and one ZeroMQ context for all) keeps the
/// generator's own cost down: a thread and a ZeroMQ I/O thread for every agent spent more
/// CPU on context switches than the management point spent answering.
final class AgentDriver {
    struct Agent {
        var name: String
        var address: String
        var publicKey: String
        var secretKey: String
    }

    struct Outcome: Sendable {
        var latencies: [Double] = []
        var errors = 0
    }

    private var sockets: [UnsafeMutableRawPointer] = []
    private let agents: [Agent]
    private let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)

    /// Connects every agent (call on the thread that will drive them).
    init(context: UnsafeMutableRawPointer, endpoint: String, serverKey: String, agents: [Agent]) throws {
        self.agents = agents
        let hostAndPort = endpoint.dropFirst("tcp://".count)
        for agent in agents {
            guard let socket = zmq_socket(context, ZMQ_DEALER) else { throw DriverError("cannot create a ZeroMQ socket") }
            sockets.append(socket)
            var linger: Int32 = 0
            zmq_setsockopt(socket, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
            for (option, key) in [(ZMQ_CURVE_SERVERKEY, serverKey), (ZMQ_CURVE_PUBLICKEY, agent.publicKey), (ZMQ_CURVE_SECRETKEY, agent.secretKey)] {
                let bytes = Array(key.utf8)
                _ = bytes.withUnsafeBytes { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }
            }
            guard zmq_connect(socket, "tcp://\(agent.address):0;\(hostAndPort)") == 0 else { throw DriverError("cannot connect to \(endpoint)") }
        }
    }

    deinit {
        for socket in sockets { zmq_close(socket) }
        message.deallocate()
    }

    /// Until `end`, keeps one request of `request(agent)` in flight per agent; a reply is
    /// counted when `isAnswer` says it is one. Latency is from send to reply, in ms.
    func run(until end: DispatchTime, request: (Int) throws -> Data, isAnswer: (Data) -> Bool) rethrows -> Outcome {
        var outcome = Outcome()
        var sentAt = [UInt64](repeating: 0, count: sockets.count)
        var items = sockets.map { zmq_pollitem_t(socket: $0, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        for index in sockets.indices { try send(index, request(index), &sentAt, &outcome) }
        while DispatchTime.now() < end {
            guard zmq_poll(&items, Int32(items.count), 100) > 0 else { continue }
            for index in items.indices where items[index].revents & Int16(ZMQ_POLLIN) != 0 {
                guard let reply = receive(index) else { continue }
                outcome.latencies.append(Double(DispatchTime.now().uptimeNanoseconds - sentAt[index]) / 1_000_000)
                if !isAnswer(reply) { outcome.errors += 1 }
                try send(index, request(index), &sentAt, &outcome)
            }
        }
        return outcome
    }

    private func send(_ index: Int, _ frame: Data, _ sentAt: inout [UInt64], _ outcome: inout Outcome) {
        sentAt[index] = DispatchTime.now().uptimeNanoseconds
        if !zmq_send_data(sockets[index], frame) { outcome.errors += 1 }
    }

    private func receive(_ index: Int) -> Data? {
        zmq_msg_init(message)
        defer { zmq_msg_close(message) }
        let size = zmq_msg_recv(message, sockets[index], ZMQ_DONTWAIT)
        guard size >= 0 else { return nil }
        return Data(bytes: zmq_msg_data(message), count: Int(size))
    }
}

private func zmq_send_data(_ socket: UnsafeMutableRawPointer, _ frame: Data) -> Bool {
    frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, ZMQ_DONTWAIT) } >= 0
}

struct DriverError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
