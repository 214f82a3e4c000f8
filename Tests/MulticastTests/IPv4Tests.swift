import Multicast
import ServiceKit
import Testing

@Suite("IPv4")
struct IPv4Tests {
    @Test("dotted quads parse to host-order integers and format back")
    func parseAndFormat() {
        #expect(IPv4.parse("10.77.1.11") == 0x0A4D_010B)
        #expect(IPv4.parse("0.0.0.0") == 0)
        #expect(IPv4.parse("255.255.255.255") == .max)
        for text in ["10.77.1.11", "192.168.0.1", "1.2.3.4"] {
            #expect(IPv4.format(IPv4.parse(text) ?? 0) == text)
        }
    }

    @Test("anything but four bytes is not an address", arguments: ["", "10.77.1", "10.77.1.1.1", "10.77.1.256", "10.77..1", "a.b.c.d", "-1.0.0.0", " 10.0.0.1", "10.0.0.1/24",
                                                                 "+1.0.0.0", "10.+7.0.1", "0010.0.0.1", "١٠.0.0.1"])
    func invalid(text: String) {
        #expect(IPv4.parse(text) == nil)
    }

    @Test("Issue 15 item 5: one parser: a boundary range reads an address exactly as the subnet channel does")
    func oneParser() {
        for text in ["10.77.1.11", "+1.2.3.4", "1.2.3.04", "256.1.1.1", "1.2.3"] {
            #expect(AddressRange.parse(text) == IPv4.parse(text), "\(text)")
        }
    }

    /// The parser as it was (split on dots, then each part checked), to hold the one-pass one to it.
    static func splitParse(_ text: String) -> UInt32? {
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

    @Test("the one-pass parser reads every string as the split-based one did")
    func sameAsSplitting() {
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789.....+-a /٠")
        for _ in 0..<50_000 {
            let text = String((0..<Int.random(in: 0...17, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            #expect(IPv4.parse(text) == Self.splitParse(text), "\(text)")
        }
        for text in ["1.2.3.4", "255.255.255.255", "256.0.0.0", "1.2.3.", ".1.2.3", "1..2.3", "001.002.003.004", "1.2.3.4."] {
            #expect(IPv4.parse(text) == Self.splitParse(text), "\(text)")
        }
    }

    @Test("the loopback address belongs to the loopback interface; an address no interface has has none")
    func interfaceName() {
        #expect(IPv4.interfaceName(for: "127.0.0.1") == "lo")
        #expect(IPv4.interfaceName(for: "203.0.113.77") == nil)
        #expect(IPv4.interfaceName(for: "not an address") == nil)
    }
}
