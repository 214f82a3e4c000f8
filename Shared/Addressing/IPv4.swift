/// Dotted-quad IPv4 addresses as host-order integers: the one parser every module uses.
///
/// Strict on purpose: four parts of one to three ASCII digits, each at most 255. "+1",
/// "1e2", " 1" or an empty part are not addresses, whoever reads them (a boundary range,
/// an agent's address, a subnet datagram).
public enum IPv4 {
    /// The address as a host-order integer, or nil if it is not a dotted quad.
    public static func parse(_ text: some StringProtocol) -> UInt32? {
        // One pass over the bytes (every content-location answer parses the client's address):
        // four parts of one to three ASCII digits, each at most 255, separated by dots.
        var value: UInt32 = 0, part: UInt32 = 0, digits = 0, dots = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, part <= 255, dots < 3 else { return nil }
                value = value << 8 | part
                (part, digits, dots) = (0, 0, dots + 1)
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 3 {
                part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0, part <= 255 else { return nil }
        return value << 8 | part
    }

    public static func format(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }
}
