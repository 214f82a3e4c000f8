import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 14 item 6 with the real executables: a bad configuration stops a service at start with
/// one line naming the setting and the file.
@Suite("Service startup")
struct ServiceStartupTests {
    /// Runs `executable --config FILE ARGUMENTS` for at most `seconds` (killed if it is still
    /// running then) and returns its exit status and everything it printed.
    static func start(_ executable: String, config: String, arguments: [String] = [], seconds: Double = 10) async throws
        -> (status: Int32, output: String, stillRunning: Bool) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-startup-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configURL = folder.appendingPathComponent("config.yaml")
        try Data(config.replacingOccurrences(of: "DATA", with: folder.path).utf8).write(to: configURL)
        let outputURL = folder.appendingPathComponent("output")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let outputHandle = try FileHandle(forWritingTo: outputURL)
        let process = Process()
        process.executableURL = ClusterFixture.binaryFolder().appendingPathComponent(executable)
        process.arguments = ["--config", configURL.path] + arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FERRY_") }
        process.standardOutput = outputHandle
        process.standardError = outputHandle
        try process.run()
        await waitForExit(process, seconds: seconds)
        let stillRunning = process.isRunning
        if stillRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? outputHandle.close()
        let output = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output, stillRunning)
    }

    static let common = """
        node: test
        dataDirectory: 'DATA/data'
        bus: {bind: 'tcp://127.0.0.1:0'}

        """

    @Test("Issue 14 item 6: a DP whose sitePublicKeyFile is missing refuses to start naming the setting and the path")
    func missingSitePublicKey() async throws {
        let result = try await Self.start("pull-dp", config: Self.common + """
            http: {host: 127.0.0.1, port: 0}
            sitePublicKeyFile: 'DATA/keys/site-signing.key.pub'
            """)
        #expect(!result.stillRunning && result.status != 0)
        #expect(result.output.contains("setting 'sitePublicKeyFile'") && result.output.contains("keys/site-signing.key.pub")
                && result.output.contains("does not exist"), "\(result.output)")
    }

    @Test("Issue 14 item 6: http.port 99999 is refused at start naming the setting and the file, not bound to another port")
    func portOutOfRange() async throws {
        let result = try await Self.start("pull-dp", config: Self.common + """
            http: {host: 127.0.0.1, port: 99999}
            sitePublicKeyFile: '/dev/null'
            """)
        #expect(!result.stillRunning && result.status != 0)
        #expect(result.output.contains("setting 'http.port'") && result.output.contains("99999") && result.output.contains("config.yaml"),
                "\(result.output)")
    }

    @Test("Issue 14 item 4: a distribution manager without sourceRoots refuses to start naming the setting")
    func missingSourceRoots() async throws {
        let result = try await Self.start("distribution-manager", config: Self.common + """
            http: {host: 127.0.0.1, port: 0}
            siteSigningKeyFile: 'DATA/site-signing.key'
            packageTransferManager: {endpoint: 'tcp://127.0.0.1:1'}
            distributionPoints: []
            """)
        #expect(!result.stillRunning && result.status != 0)
        #expect(result.output.contains("missing setting 'sourceRoots'"), "\(result.output)")
    }
}
