import Foundation
#if canImport(Glibc)
import Glibc
#endif

@_exported public import Addressing

extension IPv4 {
    /// The name of the local interface that has this address (e.g. "eth0"), or nil.
    public static func interfaceName(for address: String) -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let socketAddress = entry.pointee.ifa_addr, socketAddress.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let inet = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
            if UInt32(bigEndian: inet.sin_addr.s_addr) == parse(address) {
                return String(cString: entry.pointee.ifa_name)
            }
        }
        return nil
    }
}
