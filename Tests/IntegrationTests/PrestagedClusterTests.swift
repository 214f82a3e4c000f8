import ContentStore
import Foundation
import Testing

extension ClusterTests {
    /// SPEC C9 on real processes through the CLI: a DP enabled for prestaged content is sent
    /// nothing of a manual content; `ferry content export` writes the file, `ferry dp import`
    /// installs it (a truncated copy is refused), `pull-dp import-prestaged` imports one
    /// exported from a DP on another DP's host, and a rebuilt site restores its library.
    @Test("C9: export, dp import, pull-dp import-prestaged and library restore through the CLI")
    func prestagedContentThroughTheCLI() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("setup.bin", 1_200_000), ("readme.txt", 5_000)])
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "office", "--source", source.path, "--priority", "high"])
        #expect(try cluster.ok(["dp", "set", "dp1", "--prestaged", "on"]).contains("prestaged:  enabled"))
        #expect(try cluster.ok(["content", "set", "office", "--prestage", "manual"]).contains("prestage manual"))
        try cluster.ok(["distribute", "office", "--dp", "dp1", "--dp", "dp2"])
        var status = try cluster.json(StatusJSON.self, ["status", "office"])
        for _ in 0..<100 where status.targets.first(where: { $0.distributionPoint == "dp1" })?.reason?.contains("prestaged") != true {
            try await Task.sleep(for: .milliseconds(100))
            status = try cluster.json(StatusJSON.self, ["status", "office"])
        }
        #expect(status.targets.first { $0.distributionPoint == "dp1" }?.reason?.contains("waiting for prestaged content") == true, "\(status.targets)")

        let file = cluster.root.appendingPathComponent("office.ferrypkg")
        #expect(try cluster.ok(["content", "export", "office", "--out", file.path]).contains("exported office version 1"))
        let refusedAgain = try cluster.ferry(["content", "export", "office", "--out", file.path])
        #expect(refusedAgain.status != 0 && refusedAgain.error.contains("exists"))
        let bytes = try Data(contentsOf: file)
        let truncated = cluster.root.appendingPathComponent("truncated.ferrypkg")
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        let cut = try cluster.ferry(["dp", "import", truncated.path, "--dp", "dp1"])
        #expect(cut.status != 0 && cut.error.contains("truncated"), "\(cut.error)")
        #expect(try cluster.ok(["dp", "import", file.path, "--dp", "dp1"]).contains("installed on dp1 from a prestaged content file"))
        #expect(try cluster.ferry(["status", "office", "--wait", "--timeout", "120"]).status == 0)
        #expect(try await cluster.metric("dp1", "ferry_dp_received_chunk_bytes_total") == 0, "nothing was pushed to dp1")

        // Exported from dp2 (which got it over the network), imported with the DP's own command on
        // the host of a DP that is not running (dp2's settings, its own data folder).
        let fromDP = cluster.root.appendingPathComponent("from-dp2.ferrypkg")
        #expect(try cluster.ok(["content", "export", "office", "--from-dp", "dp2", "--out", fromDP.path]).contains("from dp2"))
        let dp9 = cluster.root.appendingPathComponent("dp9", isDirectory: true)
        let settings = try String(contentsOf: cluster.data.appendingPathComponent("dp2/config.yaml"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("dataDirectory:") ? "dataDirectory: '\(dp9.path)'" : String($0) }.joined(separator: "\n")
        let dp9Configuration = cluster.root.appendingPathComponent("dp9.yaml")
        try settings.write(to: dp9Configuration, atomically: true, encoding: .utf8)
        let offline = Process()
        offline.executableURL = cluster.binaries.appendingPathComponent("pull-dp")
        offline.arguments = ["import-prestaged", "--config", dp9Configuration.path, fromDP.path]
        offline.standardOutput = FileHandle.nullDevice
        try offline.run()
        offline.waitUntilExit()
        #expect(offline.terminationStatus == 0)
        let imported = try ChunkStore(root: dp9.appendingPathComponent("store", isDirectory: true))
        let versionID = try #require(try ChunkStore(root: cluster.data.appendingPathComponent("dp1/store", isDirectory: true)).manifestIDs().first)
        #expect(try imported.hasManifest(versionID) && imported.verify(imported.manifest(versionID)).isComplete)

        // A rebuilt site: a new cluster restores its library from the file and distributes it.
        let rebuilt = try ClusterFixture()
        defer { rebuilt.tearDown() }
        try rebuilt.up()
        #expect(try rebuilt.ok(["library", "restore", file.path]).contains("restored office version 1"))
        #expect(try rebuilt.ok(["content", "show", "office"]).contains("priority high"))
        try rebuilt.ok(["distribute", "office", "--dp", "dp1"])
        #expect(try rebuilt.ferry(["status", "office", "--wait", "--timeout", "120"]).status == 0)
    }

    /// SPEC C3's version rule on real processes: six updates in a row; the sixth is a full
    /// version, and once dp1 holds it the older versions and their chunks are gone from the
    /// site library and from dp1.
    @Test("C3: six updates in a row; the sixth is a full version and the older set leaves the site and the DP")
    func sixUpdatesRetireTheOlderSet() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("setup.bin", 300_000), ("data.bin", 200_000)])
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "app", "--source", source.path])
        try cluster.ok(["distribute", "app", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "120"]).status == 0)
        for round in 1...6 {
            try Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* round &+ round) }).write(to: source.appendingPathComponent("patch-\(round).bin"))
            try cluster.ok(["content", "update", "app"])
            #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "120"]).status == 0)
        }
        let library = try ChunkStore(root: cluster.data.appendingPathComponent("site/library", isDirectory: true))
        let dp1 = try ChunkStore(root: cluster.data.appendingPathComponent("dp1/store", isDirectory: true))
        var shown = try cluster.ok(["content", "show", "app"])
        for _ in 0..<100 where try library.manifestIDs().count != 1 || dp1.manifestIDs().count != 1 {
            try await Task.sleep(for: .milliseconds(100))
        }
        shown = try cluster.ok(["content", "show", "app"])
        #expect(shown.contains("7 (current)") && shown.contains("full") && !shown.contains("\n1 "), "\(shown)")
        let current = try #require(try library.manifestIDs().first)
        let kept = Set(try library.manifest(current).uniqueChunks.map(\.hash))
        #expect(try dp1.manifestIDs() == [current])
        #expect(Set(try cluster.storedChunks("dp1").keys) == kept, "dp1 keeps only version 7's chunks")
        #expect(try library.chunkCount() == kept.count, "the library keeps only version 7's chunks")
    }
}
