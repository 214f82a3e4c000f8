public import Foundation
@_exported public import Addressing

/// An inclusive IPv4 address range, from a CIDR subnet or from two addresses.
///
/// Boundary groups use these to decide which clients a DP is preferred for (SPEC M1).
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    public let first: UInt32
    public let last: UInt32

    /// Parses `a.b.c.d/n`; throws a ``ConfigurationError`` saying what is wrong.
    public init(subnet: String) throws {
        let parts = subnet.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = UInt32(parts[1]), bits <= 32, let base = Self.parse(String(parts[0])) else {
            throw ConfigurationError("'\(subnet)' is not an IPv4 subnet like 10.1.2.0/24")
        }
        let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
        first = base & mask
        last = first | ~mask
    }

    /// Parses an inclusive range `first`–`last`.
    public init(first: String, last: String) throws {
        guard let low = Self.parse(first), let high = Self.parse(last) else {
            throw ConfigurationError("'\(first)-\(last)' is not an IPv4 address range")
        }
        guard low <= high else { throw ConfigurationError("range '\(first)-\(last)' ends before it starts") }
        self.first = low
        self.last = high
    }

    public func contains(_ address: UInt32) -> Bool { address >= first && address <= last }

    public var description: String { "\(Self.format(first))-\(Self.format(last))" }

    /// The numeric value of a dotted IPv4 address, or nil when it is not one (``IPv4/parse(_:)``).
    public static func parse(_ text: String) -> UInt32? { IPv4.parse(text) }

    public static func format(_ value: UInt32) -> String { IPv4.format(value) }
}
