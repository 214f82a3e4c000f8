/// Dotted-quad IPv4 addresses as host-order integers: the one parser every module uses.
///
/// Strict on purpose: four parts of one to three ASCII digits, each at most 255. "+1",
/// "1e2", " 1" or an empty part are not addresses, whoever reads them (a boundary range,
/// an agent's address, a subnet datagram).
public enum IPv4 {
    /// The address as a host-order integer, or nil if it is not a dotted quad.
    public static func parse(_ text: some StringProtocol) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.utf8.count <= 3, part.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let number = UInt32(part), number <= 255 else { return nil }
            value = value << 8 | number
        }
        return value
    }

    public static func format(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }
}
