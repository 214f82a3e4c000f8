import Bus
import Foundation
import ServiceKit
import Testing

@Suite("CommonSettings and key files")
struct CommonSettingsTests {
    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func dataURLIsADirectory() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = try folder.write("s.yaml", """
            node: dp1
            dataDirectory: /srv/ferry/dp1
            bus: {bind: 'tcp://127.0.0.1:0'}
            http: {host: 127.0.0.1, port: 8101}
            journal: /srv/ferry/dp1/journal.jsonl
            """)
        let settings = try ConfigurationFile(url: url, environment: [:]).decode(CommonSettings.self)
        #expect(settings.dataURL.hasDirectoryPath)
        #expect(settings.dataURL.appendingPathComponent("db.sqlite").path == "/srv/ferry/dp1/db.sqlite")
        #expect(settings.journal == "/srv/ferry/dp1/journal.jsonl")
        #expect(settings.http.port == 8101)
    }

    @Test func keyPairFilesRoundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // Z85 keys use YAML-significant characters (#, :, &, *, !, [, {…): every one must survive.
        for index in 0..<50 {
            let pair = try CurveKeyPair.generate()
            let url = folder.file("keys/\(index).yaml")
            try pair.write(to: url)
            #expect(try CurveKeyPair.load(from: url.path) == pair)
            let permissions = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
            #expect(permissions == 0o600)
        }
    }

    @Test func aKeyFileWithShortKeysIsRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = try folder.write("bad.yaml", "publicKey: 'short'\nsecretKey: 'short'\n")
        let message = try #require(Self.message { _ = try CurveKeyPair.load(from: url.path) })
        #expect(message.contains(url.path))
        #expect(message.contains("40"))
    }
}
