import ContentStore
import Foundation
import Testing

extension ClusterTests {
    /// SPEC C11 on real processes: a library move killed with -9 half-way leaves the old
    /// folder the library; started again, the DP finishes the move, serves from the new
    /// folder, and every version still validates.
    @Test("C11: ferry dp move-library survives kill -9 mid-move and finishes when the DP starts again")
    func libraryMoveSurvivesKill9() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("setup.bin", 6_000_000), ("data.bin", 2_000_000)])
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "office", "--source", source.path])
        try cluster.ok(["distribute", "office", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "office", "--wait", "--timeout", "120"]).status == 0)

        // A slow copy (2 MB/s) so the kill lands in the middle; dp1 restarted to read it.
        let configuration = cluster.data.appendingPathComponent("dp1/config.yaml")
        try (try String(contentsOf: configuration, encoding: .utf8) + "\nlibraryMoveBytesPerSecond: 2000000\n")
            .write(to: configuration, atomically: true, encoding: .utf8)
        try cluster.kill9("dp1")
        try cluster.up()
        let old = cluster.data.appendingPathComponent("dp1/store", isDirectory: true)
        let target = cluster.root.appendingPathComponent("disk2/library", isDirectory: true)
        let versionID = try #require(try ChunkStore(root: old).manifestIDs().first)
        #expect(try cluster.ok(["dp", "move-library", "dp1", "--to", target.path]).contains("moving the library"))
        var copied = 0
        for _ in 0..<200 {
            let status = try cluster.json(MoveJSON.self, ["dp", "move-library", "dp1"])
            copied = status.copiedChunks
            if copied > 5 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        try cluster.kill9("dp1")
        #expect(copied > 5, "copied \(copied) chunks before the kill")
        let before = try ChunkStore(root: old)
        #expect(try before.verify(before.manifest(versionID)).isComplete, "the old folder is still the whole library")
        #expect(!(try String(contentsOf: configuration, encoding: .utf8)).contains("libraryFolder:"))

        try cluster.up()
        let finished = try cluster.ferry(["dp", "move-library", "dp1", "--wait", "--timeout", "120"])
        #expect(finished.status == 0 && finished.output.contains("library in \(target.path)"), "\(finished.output)\(finished.error)")
        #expect(!FileManager.default.fileExists(atPath: old.path))
        #expect((try String(contentsOf: configuration, encoding: .utf8)).contains("libraryFolder: '\(target.path)'"))
        let moved = try ChunkStore(root: target)
        #expect(try moved.verify(moved.manifest(versionID)).isComplete)

        // Started again on the rewritten configuration, it serves and validates from the new folder.
        try cluster.kill9("dp1")
        try cluster.up()
        try cluster.ok(["dp", "validate", "dp1"])
        var status = try cluster.json(StatusJSON.self, ["status", "office"])
        for _ in 0..<100 where status.targets.first?.reason?.contains("every chunk intact") != true {
            try await Task.sleep(for: .milliseconds(100))
            status = try cluster.json(StatusJSON.self, ["status", "office"])
        }
        #expect(status.targets.first?.state == "installed" && status.targets.first?.reason?.contains("every chunk intact") == true,
                "\(status.targets)")
    }
}

struct MoveJSON: Decodable {
    var phase: String
    var copiedChunks: Int
    var totalChunks: Int
}
