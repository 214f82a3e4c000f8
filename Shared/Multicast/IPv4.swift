import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Dotted-quad IPv4 addresses as host-order integers, and the interface that owns one.
public enum IPv4 {
    /// The address as a host-order integer, or nil if it is not a dotted quad.
    public static func parse(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    public static func format(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

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
