import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A short fixed-seed slice of the chaos campaign (deploy/chaos/chaos.sh, issue 14 item 7),
/// run as the real script against the real executables. It is part of the serialized
/// "Cluster" suite so it never shares this machine's two cores with another cluster.
extension ClusterTests {
    @Test("Issue 14 item 7: kill -9 during distributions and deployments loses nothing, applies nothing twice, corrupts nothing")
    func chaosSlice() async throws {
        // The script's data folder is the fixture's root, so its cluster is the fixture's:
        // tearDown stops it and removes every file even when the script fails or hangs.
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/chaos/chaos.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path]
        var environment = ProcessInfo.processInfo.environment
        environment.merge(["FERRY_BIN_DIR": cluster.binaries.path, "DATA": cluster.root.path, "SEED": "1",
                           "DISTRIBUTIONS": "4", "DEPLOYMENTS": "4", "KILLS": "4", "CONTENTS": "4", "SETTLE_TIMEOUT": "90"]) { _, new in new }
        environment["KEEP"] = nil
        process.environment = environment
        // A file, not a pipe: services started by the script's `cluster up` must not hold our pipe open.
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-chaos-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let output = try FileHandle(forWritingTo: outputURL)
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Our own deadline, well inside any CI limit: on expiry the script gets SIGTERM, and
        // its trap stops the cluster.
        await waitForExit(process, seconds: 170)
        let timedOut = process.isRunning
        if timedOut {
            process.terminate()
            process.waitUntilExit()
        }
        process.waitUntilExit()
        try? output.close()
        let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        #expect(!timedOut, "the chaos slice did not finish within 170 s:\n\(text)")
        #expect(process.terminationStatus == 0, "chaos.sh exited \(process.terminationStatus):\n\(text)")
        let lines = Set(text.split(separator: "\n").map(String.init))
        for summary in ["lost: 0", "applied twice: 0", "corrupt: 0"] {
            #expect(lines.contains(summary), "no '\(summary)' line in:\n\(text)")
        }
        // The slice must really have killed something, or it proves nothing.
        let kills = text.split(separator: "\n").first { $0.hasPrefix("kills: ") }
            .flatMap { Int($0.dropFirst("kills: ".count).prefix { $0.isNumber }) } ?? 0
        #expect(kills >= 2, "the slice killed \(kills) services:\n\(text)")
    }
}
