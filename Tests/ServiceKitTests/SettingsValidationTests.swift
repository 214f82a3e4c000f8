import Foundation
import ServiceKit
import Testing

@Suite("Settings validation")
struct SettingsValidationTests {
    /// Writes a common-settings file with `http`, `bus` and extra lines and returns what decoding it says.
    static func decode(node: String = "dp1", bind: String = "tcp://127.0.0.1:0", http: String = "{host: 127.0.0.1, port: 0}",
                       extra: String = "") throws -> (file: URL, message: String?) {
        let folder = try TemporaryFolder()
        let url = try folder.write("dp1.yaml", """
            node: \(node)
            dataDirectory: /tmp/ferry-dp1
            bus: {bind: '\(bind)'}
            http: \(http)
            \(extra)
            """)
        defer { folder.remove() }
        let message = ConfigurationFileTests.message { _ = try ConfigurationFile(url: url, environment: [:]).decode(CommonSettings.self) }
        return (url, message)
    }

    @Test("Issue 14 item 6: an HTTP port out of range is refused naming the setting and the file", arguments: [99999, 65536, -1])
    func httpPortOutOfRange(port: Int) throws {
        let (file, message) = try Self.decode(http: "{host: 127.0.0.1, port: \(port)}")
        let text = try #require(message, "port \(port) was accepted")
        #expect(text.contains("http.port") && text.contains(file.path) && text.contains("\(port)"), "\(text)")
    }

    @Test("Issue 14 item 6: ports 0 and 65535 are accepted")
    func portEdges() throws {
        #expect(try Self.decode(http: "{host: 127.0.0.1, port: 0}").message == nil)
        #expect(try Self.decode(bind: "tcp://127.0.0.1:65535", http: "{host: 127.0.0.1, port: 65535}").message == nil)
        #expect(try Self.decode(bind: "tcp://*:7001").message == nil)
    }

    @Test("Issue 14 item 6: a bus endpoint with a bad port or shape is refused naming bus.bind",
          arguments: ["tcp://127.0.0.1:99999", "tcp://127.0.0.1", "127.0.0.1:7001", "tcp://:7001", "tcp://127.0.0.1:seven"])
    func badBusEndpoint(bind: String) throws {
        let text = try #require(try Self.decode(bind: bind).message, "\(bind) was accepted")
        #expect(text.contains("bus.bind"), "\(text)")
    }

    @Test("Issue 14 item 5 and 6: an idle timeout that is not 0.1-3600 seconds is refused naming http.idleTimeoutSeconds",
          arguments: ["0", "-1", ".nan", "100000"])
    func badIdleTimeout(value: String) throws {
        let (file, message) = try Self.decode(http: "{host: 127.0.0.1, port: 0, idleTimeoutSeconds: \(value)}")
        let text = try #require(message, "\(value) was accepted")
        #expect(text.contains("http.idleTimeoutSeconds") && text.contains(file.path), "\(text)")
    }

    @Test("Issue 14 item 6: an unknown log level and a bad advertised URL are refused naming the setting")
    func otherValues() throws {
        let level = try #require(try Self.decode(extra: "logLevel: verbose").message)
        #expect(level.contains("logLevel") && level.contains("verbose") && level.contains("debug"))
        let advertised = try #require(try Self.decode(http: "{host: 0.0.0.0, port: 80, advertisedURL: 'ftp://x'}").message)
        #expect(advertised.contains("http.advertisedURL"))
        let advertisedPort = try #require(try Self.decode(http: "{host: 0.0.0.0, port: 80, advertisedURL: 'http://dp1:99999'}").message)
        #expect(advertisedPort.contains("http.advertisedURL"))
    }

    @Test("Issue 14 item 6: a mistyped or empty setting says which and what it should be")
    func typesAreNamed() throws {
        let mistyped = try #require(try Self.decode(http: "{host: 127.0.0.1, port: eighty}").message)
        #expect(mistyped.contains("http.port") && mistyped.contains("whole number"), "\(mistyped)")
        let empty = try #require(try Self.decode(node: "''").message)
        #expect(empty.contains("'node'"), "\(empty)")
    }
}
