public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The subnet's control channel: UDP multicast with TTL 1 on one interface, so it never
/// leaves the subnet and needs nothing configured on a router (SPEC S1).
public final class SubnetChannel: @unchecked Sendable {
    public typealias Handler = @Sendable (SubnetMessage) -> Void

    private let socketDescriptor: Int32
    private let destination: sockaddr_in
    private let handler: Handler
    private let rejected: @Sendable (String) -> Void
    private var thread: Thread?
    private let lock = NSLock()
    private var closed = false

    /// Joins `group:port` on the interface with `interfaceAddress` and starts listening.
    public init(group: String, port: UInt16, interfaceAddress: String, handler: @escaping Handler,
                rejected: @escaping @Sendable (String) -> Void = { _ in }) throws {
        guard let groupValue = IPv4.parse(group), groupValue >> 28 == 0xE else { throw SubnetMessageError("'\(group)' is not an IPv4 multicast group") }
        guard let interfaceValue = IPv4.parse(interfaceAddress) else { throw SubnetMessageError("'\(interfaceAddress)' is not an IPv4 address") }
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw SubnetMessageError("cannot open a UDP socket: \(String(cString: strerror(errno)))") }
        func fail(_ what: String) -> SubnetMessageError {
            let error = SubnetMessageError("\(what) for \(group):\(port) on \(interfaceAddress): \(String(cString: strerror(errno)))")
            Glibc.close(descriptor)
            return error
        }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var bindAddress = sockaddr_in()
        bindAddress.sin_family = sa_family_t(AF_INET)
        bindAddress.sin_port = port.bigEndian
        bindAddress.sin_addr.s_addr = groupValue.bigEndian
        let bound = withUnsafePointer(to: &bindAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw fail("cannot bind") }
        var membership = ip_mreq(imr_multiaddr: in_addr(s_addr: groupValue.bigEndian), imr_interface: in_addr(s_addr: interfaceValue.bigEndian))
        guard setsockopt(descriptor, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, &membership, socklen_t(MemoryLayout<ip_mreq>.size)) == 0 else {
            throw fail("cannot join")
        }
        var outgoing = in_addr(s_addr: interfaceValue.bigEndian)
        guard setsockopt(descriptor, Int32(IPPROTO_IP), IP_MULTICAST_IF, &outgoing, socklen_t(MemoryLayout<in_addr>.size)) == 0 else {
            throw fail("cannot choose the interface")
        }
        var ttl: UInt8 = 1
        setsockopt(descriptor, Int32(IPPROTO_IP), IP_MULTICAST_TTL, &ttl, socklen_t(1))
        var loop: UInt8 = 0
        setsockopt(descriptor, Int32(IPPROTO_IP), IP_MULTICAST_LOOP, &loop, socklen_t(1))
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        socketDescriptor = descriptor
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        target.sin_addr.s_addr = groupValue.bigEndian
        destination = target
        self.handler = handler
        self.rejected = rejected
        let thread = Thread { [self] in receive() }
        thread.name = "subnet-channel"
        self.thread = thread
        thread.start()
    }

    deinit { close() }

    /// Sends one message to every agent of the subnet; loss is possible, so callers repeat.
    public func send(_ message: SubnetMessage) {
        guard let data = try? message.encoded() else { return }
        var target = destination
        _ = data.withUnsafeBytes { bytes in
            withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(socketDescriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    public func close() {
        lock.lock()
        guard !closed else {
            lock.unlock()
            return
        }
        closed = true
        lock.unlock()
        while let thread, !thread.isFinished { usleep(1000) }
        Glibc.close(socketDescriptor)
    }

    private var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: SubnetMessage.maximumSize + 1)
        while !isClosed {
            let count = recv(socketDescriptor, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            do {
                handler(try SubnetMessage.decode(Data(buffer[0..<count])))
            } catch {
                rejected("\(error)")
            }
        }
    }
}
