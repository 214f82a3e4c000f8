import Foundation
import Multicast
import Testing

@Suite("NormChannel")
struct NormChannelTests {
    private func channel(_ change: (inout NormSettings) -> Void) throws -> NormChannel {
        var settings = NormSettings(port: UInt16.random(in: 20_000...60_000), interfaceAddress: "127.0.0.1")
        change(&settings)
        return try NormChannel(settings: settings, interfaceName: "lo") { _, _, _ in }
    }

    @Test("the defaults: no parity (NORM would encode every block), 512 KiB bundles, 1400-byte segments")
    func defaults() {
        let settings = NormSettings(interfaceAddress: "10.77.1.11")
        #expect(settings.paritySegments == 0)
        #expect(settings.bundleBytes == 512 << 10)
        #expect(settings.segmentBytes == 1400)
    }

    @Test("sending refuses a segment size or parity NORM cannot use, with the reason",
          arguments: [(20_000, 0), (10, 0), (1400, 200), (1400, -1)])
    func refusesBadSenderSettings(segment: Int, parity: Int) throws {
        let channel = try channel { $0.segmentBytes = segment; $0.paritySegments = parity }
        defer { channel.close() }
        #expect {
            try channel.startSending()
        } throws: { error in
            "\(error)".contains("out of range")
        }
    }

    @Test("sending starts with the defaults and with parity")
    func startsSending() throws {
        for parity in [0, 8] {
            let channel = try channel { $0.paritySegments = parity }
            defer { channel.close() }
            try channel.startSending()
            channel.stopSending()
        }
    }

    @Test("an interface address that is not IPv4 is refused before NORM is touched")
    func refusesBadAddress() {
        #expect(throws: NormError.self) {
            try NormChannel(settings: NormSettings(interfaceAddress: "eth0"), interfaceName: "lo") { _, _, _ in }
        }
    }
}
