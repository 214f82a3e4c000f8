import Bus
import Foundation
import ServiceKit
import Testing

/// Issue 15 item 7: configuration files written from settings values with Yams.
@Suite("ConfigurationDocument")
struct ConfigurationDocumentTests {
    struct Extra: Codable, Equatable {
        var retries: Int
        var note: String?
    }

    @Test("issue 15 item 7: the parts' keys are merged into one file that decodes back to each part")
    func partsMergeAndDecodeBack() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let common = CommonSettings(node: "dp1", dataDirectory: folder.url.appendingPathComponent("a 'quoted': #dir").path,
                                    bus: BusSettings(bind: "tcp://127.0.0.1:0", keyFile: nil,
                                                     clients: [KnownPeer(node: "cli", role: .admin, publicKey: "&*!%:#{}[]'\"")]),
                                    http: HTTPSettings(host: "127.0.0.1", port: 0, idleTimeoutSeconds: 1.5))
        // Text that YAML would otherwise read as a number, a boolean or nothing stays text.
        let extra = Extra(retries: 3, note: "0012")
        var document = ConfigurationDocument(comment: "first line\nsecond line")
        try document.add(common)
        try document.add(extra)
        let text = try document.yaml()
        #expect(text.hasPrefix("# first line\n# second line\n"))
        let file = try ConfigurationFile(url: try folder.write("service.yaml", text), environment: [:])
        #expect(try file.decode(CommonSettings.self) == common)
        #expect(try file.decode(Extra.self) == extra)
        #expect(!text.contains("journal"), "an unset optional setting is left out")
    }

    @Test("issue 15 item 7: a key two parts both set is refused, not silently overwritten")
    func aRepeatedKeyIsRefused() throws {
        struct Node: Encodable { var node = "again" }
        var document = ConfigurationDocument()
        try document.add(CommonSettings(node: "dp1", dataDirectory: "/tmp", bus: BusSettings(bind: "tcp://127.0.0.1:0", keyFile: nil, clients: nil),
                                        http: HTTPSettings(host: "127.0.0.1", port: 0)))
        #expect(throws: ConfigurationError.self) { try document.add(Node()) }
    }
}
