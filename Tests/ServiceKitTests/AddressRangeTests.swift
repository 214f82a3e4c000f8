import ServiceKit
import Testing

@Suite("AddressRange")
struct AddressRangeTests {
    @Test func subnetCoversItsAddressesOnly() throws {
        let range = try AddressRange(subnet: "127.0.2.0/24")
        #expect(range.contains(try #require(AddressRange.parse("127.0.2.0"))))
        #expect(range.contains(try #require(AddressRange.parse("127.0.2.255"))))
        #expect(!range.contains(try #require(AddressRange.parse("127.0.3.0"))))
        #expect(!range.contains(try #require(AddressRange.parse("127.0.1.255"))))
        #expect(range.description == "127.0.2.0-127.0.2.255")
    }

    @Test func hostBitsInASubnetAreIgnoredAndEdgesWork() throws {
        #expect(try AddressRange(subnet: "10.1.2.77/24") == AddressRange(subnet: "10.1.2.0/24"))
        #expect(try AddressRange(subnet: "0.0.0.0/0").last == UInt32.max)
        let single = try AddressRange(subnet: "192.168.1.5/32")
        #expect(single.first == single.last)
    }

    @Test func explicitRanges() throws {
        let range = try AddressRange(first: "10.0.0.10", last: "10.0.0.20")
        #expect(range.contains(try #require(AddressRange.parse("10.0.0.15"))))
        #expect(!range.contains(try #require(AddressRange.parse("10.0.0.21"))))
        #expect(throws: ConfigurationError.self) { try AddressRange(first: "10.0.0.20", last: "10.0.0.10") }
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "a.b.c.d", "1..2.3", "-1.2.3.4", "1.2.3.4 "])
    func malformedAddressesAreRefused(_ text: String) {
        #expect(AddressRange.parse(text) == nil)
    }

    @Test(arguments: ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0/8", "x/8", "10.0.0.0/8/8"])
    func malformedSubnetsAreRefused(_ text: String) {
        #expect(throws: ConfigurationError.self) { try AddressRange(subnet: text) }
    }
}
