import Foundation
@testable import MulticastAgent
import ServiceKit
import Testing

@Suite("MulticastAgentSettings")
struct MulticastAgentSettingsTests {
    /// A complete agent configuration file with `extra` added at the top level.
    static func configuration(_ extra: String) throws -> (ConfigurationFile, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agent-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let text = """
        node: agent1
        dataDirectory: \(folder.appendingPathComponent("data").path)
        bus: {bind: "tcp://127.0.0.1:0"}
        http: {host: 127.0.0.1, port: 0}
        managementPoint: {endpoint: "tcp://127.0.0.1:1"}
        address: 127.0.0.1
        subnet: 127.0.0.0/8
        peerCaching: false
        \(extra)
        """
        let url = folder.appendingPathComponent("config.yaml")
        try Data(text.utf8).write(to: url)
        return (try ConfigurationFile(url: url, environment: [:]), folder)
    }

    @Test("parallelDownloads defaults to 4")
    func defaultParallelDownloads() throws {
        let (file, folder) = try Self.configuration("")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try file.decode(MulticastAgentSettings.self).parallelDownloadCount == 4)
    }

    @Test("an agent refuses to start with parallelDownloads outside 1–32, naming the setting, and creates nothing",
          .timeLimit(.minutes(1)), arguments: [0, -2, 33])
    func refusesParallelDownloadsOutOfRange(value: Int) async throws {
        let (file, folder) = try Self.configuration("parallelDownloads: \(value)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = await #expect(throws: ConfigurationError.self) { _ = try await MulticastAgent.build(configuration: file, clock: ManualClock()) }
        #expect(error?.description.contains("parallelDownloads \(value) is out of range (1–32)") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("data").path))
    }
}
