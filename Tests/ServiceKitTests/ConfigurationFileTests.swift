import Foundation
import Bus
import ServiceKit
import Testing

@Suite("ConfigurationFile")
struct ConfigurationFileTests {
    static let complete = """
        node: site
        dataDirectory: /var/lib/ferry/site
        logLevel: debug
        bus:
          bind: tcp://127.0.0.1:0
          clients:
            - {node: cli, role: admin, publicKey: 'abc'}
        http:
          host: 127.0.0.1
          port: 0
        """

    static func message(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as ConfigurationError {
            return error.description
        } catch {
            return "unexpected \(type(of: error)): \(error)"
        }
    }

    @Test func decodesCommonSettings() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = try folder.write("site.yaml", Self.complete)
        let settings = try ConfigurationFile(url: url, environment: [:]).decode(CommonSettings.self)
        #expect(settings.node == "site")
        #expect(settings.dataDirectory == "/var/lib/ferry/site")
        #expect(settings.dataURL.path == "/var/lib/ferry/site")
        #expect(settings.logLevel == "debug")
        #expect(settings.logFile == nil)
        #expect(settings.bus.bind == "tcp://127.0.0.1:0")
        #expect(settings.bus.clients == [KnownPeer(node: "cli", role: .admin, publicKey: "abc")])
        #expect(settings.bus.keyFile == nil)
        #expect(settings.http.port == 0)
    }

    @Test func aMissingFileIsNamed() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = folder.file("nowhere.yaml")
        let message = try #require(Self.message { _ = try ConfigurationFile(url: url, environment: [:]) })
        #expect(message.contains(url.path))
        #expect(message.contains("does not exist"))
    }

    @Test("invalid YAML is refused naming the file", arguments: ["node: [unclosed", "a: b\n  c: d\n e", "\tnode: x\n\t\tfoo"])
    func invalidYAML(text: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = try folder.write("broken.yaml", text)
        let message = try #require(Self.message { _ = try ConfigurationFile(url: url, environment: [:]) })
        #expect(message.contains(url.path))
        #expect(message.contains("YAML"))
    }

    @Test("a document that is not a mapping is refused", arguments: ["- a\n- b\n", "just a string\n", "42\n", ""])
    func notAMapping(text: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = try folder.write("list.yaml", text)
        let message = try #require(Self.message { _ = try ConfigurationFile(url: url, environment: [:]) })
        #expect(message.contains(url.path))
        #expect(message.contains("mapping"))
    }

    @Test("a missing setting is named with its path", arguments: [("node", "node"), ("bind", "bus.bind"), ("port", "http.port")])
    func missingSetting(removed: String, path: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let text = Self.complete.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix(removed + ":") }
            .joined(separator: "\n")
        let url = try folder.write("site.yaml", text)
        let file = try ConfigurationFile(url: url, environment: [:])
        let message = try #require(Self.message { _ = try file.decode(CommonSettings.self) })
        #expect(message.contains(url.path))
        #expect(message.contains("missing setting '\(path)'"), "\(message)")
    }

    @Test func aMistypedSettingIsNamed() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = try folder.write("site.yaml", Self.complete.replacingOccurrences(of: "port: 0", with: "port: eighty"))
        let file = try ConfigurationFile(url: url, environment: [:])
        let message = try #require(Self.message { _ = try file.decode(CommonSettings.self) })
        #expect(message.contains(url.path))
        #expect(message.contains("http.port"), "\(message)")
    }

    @Test func dataDirectoryIsOverriddenFromTheEnvironment() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = try folder.write("site.yaml", Self.complete)
        let file = try ConfigurationFile(url: url, environment: ["FERRY_DATA_DIRECTORY": folder.url.path])
        let settings = try file.decode(CommonSettings.self)
        #expect(settings.dataDirectory == folder.url.path)
        #expect(settings.node == "site", "other settings are untouched")
    }

    @Test func unrelatedVariablesAreIgnored() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = try folder.write("site.yaml", Self.complete)
        let settings = try ConfigurationFile(url: url, environment: ["DATA_DIRECTORY": "/x", "FERRY_dataDirectory": "/y",
                                                                     "FERRY_DATADIRECTORY": "/z"])
            .decode(CommonSettings.self)
        #expect(settings.dataDirectory == "/var/lib/ferry/site")
    }

    struct Tuning: Decodable {
        var retryCount: Int
        var enabled: Bool
        var name: String
        var peers: [String: String]
    }

    @Test func overridesAreParsedAsYAMLSoTypesSurvive() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = try folder.write("t.yaml", "retryCount: 1\nenabled: false\nname: a\npeers:\n  dp1: tcp://127.0.0.1:1\n")
        let tuning = try ConfigurationFile(url: url, environment: [
            "FERRY_RETRY_COUNT": "7",
            "FERRY_ENABLED": "true",
            "FERRY_NAME": "tcp://127.0.0.1:7001",
            "FERRY_PEERS": "{dp2: 'tcp://127.0.0.1:2'}",
        ]).decode(Tuning.self)
        #expect(tuning.retryCount == 7)
        #expect(tuning.enabled)
        #expect(tuning.name == "tcp://127.0.0.1:7001")
        #expect(tuning.peers == ["dp2": "tcp://127.0.0.1:2"])
    }
}
