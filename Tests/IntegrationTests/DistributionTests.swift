import ContentStore
import Foundation
import HTTPTransfer
import Testing

/// Real executables on loopback: the whole path from a folder to two DPs.
@Suite("Cluster", .serialized)
struct ClusterTests {
    @Test("create, distribute to two DPs, update: every chunk once, only new chunks pushed")
    func distributeAndUpdate() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("a.bin", 6_000_000), ("nested/b.bin", 3_000_000), ("nested/deeper/c d ü.txt", 70_000)])
        try FileManager.default.createDirectory(at: source.appendingPathComponent("empty folder"), withIntermediateDirectories: true)
        try Data().write(to: source.appendingPathComponent("zero-length"))
        try cluster.up()

        let created = try cluster.json(VersionJSON.self, ["content", "create", "--name", "office", "--source", source.path])
        #expect(created.version.number == 1)
        try cluster.ok(["distribute", "office", "--dp", "dp1", "--dp", "dp2"])
        let waited = try cluster.ferry(["status", "office", "--wait", "--timeout", "120"])
        #expect(waited.status == 0, "status --wait: \(waited.error)")
        let status = try cluster.json(StatusJSON.self, ["status", "office"])
        #expect(status.targets.map(\.state) == ["installed", "installed"])

        // Every DP holds every chunk of the version, each exactly once and intact.
        let manifestResponse = try await HTTPClient.shared.get(try cluster.service("dp1").http + "/manifests/\(created.version.versionID)",
                                                             options: try cluster.transfer())
        #expect(manifestResponse.status == 200)
        let manifest = try Manifest.decode(manifestResponse.body)
        let expected = Set(manifest.uniqueChunks.map(\.hash))
        for dp in ["dp1", "dp2"] {
            let stored = try cluster.storedChunks(dp)
            #expect(Set(stored.keys) == expected, "\(dp) store differs from the manifest")
            #expect(stored.count == manifest.uniqueChunks.count)
        }
        let firstPush = try await cluster.metric("dp1", "ferry_dp_received_chunk_bytes_total")
        #expect(Int64(firstPush) == manifest.uniqueChunks.reduce(0) { $0 + Int64($1.size) })
        // Issue 15 item 7: the real services' /metrics hold transfer, bus and HTTP histograms.
        #expect(try await cluster.metric("ptm", #"ferry_ptm_transfer_duration_seconds_count{outcome="installed"}"#) == 2)
        #expect(try await cluster.metric("ptm", #"ferry_bus_request_duration_seconds_count{type="transfer.job"}"#) >= 2)
        #expect(try await cluster.metric("site", #"ferry_bus_request_duration_seconds_count{type="transfer.report"}"#) >= 2)
        #expect(try await cluster.metric("site", #"ferry_http_request_duration_seconds_count{route="/library/manifests/{version}",method="GET",status="200"}"#) >= 2)

        // A changed byte range and a new file: only the new chunks travel.
        var generator = SplitMix(seed: 99)
        let handle = try FileHandle(forWritingTo: source.appendingPathComponent("a.bin"))
        try handle.seek(toOffset: 3_000_000)
        handle.write(SourceFolder.randomData(200, &generator))
        try handle.close()
        try SourceFolder.make(at: source, files: [("new.bin", 500_000)], seed: 7)
        let updated = try cluster.json(VersionJSON.self, ["content", "update", "office"])
        #expect(updated.isNewVersion)
        #expect(updated.version.number == 2)
        #expect(updated.newBytes > 500_000 && updated.newBytes < 1_500_000, "an edit should make few new chunks, got \(updated.newBytes)")
        try cluster.ok(["distribute", "office", "--dp", "dp1", "--dp", "dp2"])
        let secondWait = try cluster.ferry(["status", "office", "--wait", "--timeout", "120"])
        #expect(secondWait.status == 0, "status --wait: \(secondWait.error)")
        let secondPush = try await cluster.metric("dp1", "ferry_dp_received_chunk_bytes_total")
        #expect(Int64(secondPush - firstPush) == updated.newBytes, "the PTM must push exactly the new chunks")

        // The DP serves the new version's file byte for byte.
        let served = try await HTTPClient.shared.get(try cluster.service("dp2").http + "/content/\(updated.version.versionID)/files/a.bin",
                                                     options: try cluster.download(updated.version.versionID))
        #expect(served.status == 200)
        #expect(served.body == (try Data(contentsOf: source.appendingPathComponent("a.bin"))))
        let unicode = try await HTTPClient.shared.get(try cluster.service("dp2").http
            + "/content/\(updated.version.versionID)/files/nested/deeper/c%20d%20%C3%BC.txt", options: try cluster.download(updated.version.versionID))
        #expect(unicode.status == 200)
        #expect(unicode.body.count == 70_000)

        // Unchanged folder: no new version.
        let unchanged = try cluster.json(VersionJSON.self, ["content", "update", "office"])
        #expect(!unchanged.isNewVersion)
        #expect(unchanged.version.number == 2)
    }

    @Test("cluster up twice changes nothing; down stops every process")
    func clusterLifecycle() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        try cluster.up()
        let before = ["site", "ptm", "mp", "dp1", "dp2", "agent1", "agent2", "agent3"].map { cluster.pid($0) }
        #expect(before.allSatisfy { $0 != nil })
        let again = try cluster.ferry(["cluster", "up"])
        #expect(again.status == 0)
        #expect(again.output.contains("already running"))
        #expect(["site", "ptm", "mp", "dp1", "dp2", "agent1", "agent2", "agent3"].map { cluster.pid($0) } == before)
        #expect(try cluster.ferry(["cluster", "status"]).status == 0)
        let down = try cluster.ferry(["cluster", "down"])
        #expect(down.status == 0)
        for pid in before.compactMap({ $0 }) {
            #expect(kill(pid, 0) != 0 || Self.isZombie(pid), "process \(pid) still runs after cluster down")
        }
        #expect(try cluster.ferry(["cluster", "status"]).status != 0)
    }

    @Test("unknown names and bad arguments get one clear line and a non-zero exit")
    func clearErrors() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let noCluster = try cluster.ferry(["content", "list"])
        #expect(noCluster.status != 0)
        #expect(noCluster.error.contains("no cluster at"))
        try cluster.up()
        let unknown = try cluster.ferry(["content", "show", "nothing-here"])
        #expect(unknown.status != 0)
        #expect(unknown.error.contains("no content named 'nothing-here'"))
        // Inside the source roots (the temporary folder); outside them the answer names the roots instead.
        let badSource = try cluster.ferry(["content", "create", "--name", "x", "--source", cluster.root.appendingPathComponent("definitely/not/here").path])
        #expect(badSource.status != 0)
        #expect(badSource.error.contains("does not exist"))
        let unknownContent = try cluster.ferry(["distribute", "x", "--dp", "dp1"])
        #expect(unknownContent.status != 0)
        #expect(unknownContent.error.contains("no content named 'x'"))
        let source = cluster.root.appendingPathComponent("tiny")
        try SourceFolder.make(at: source, files: [("f", 10)])
        try cluster.ok(["content", "create", "--name", "tiny", "--source", source.path])
        let badDP = try cluster.ferry(["distribute", "tiny", "--dp", "nope"])
        #expect(badDP.status != 0)
        #expect(badDP.error.contains("no distribution point named 'nope'"))
        #expect(badDP.error.split(separator: "\n").count == 1, "one clear line: \(badDP.error)")
        #expect(badDP.output.isEmpty)
        let noDP = try cluster.ferry(["distribute", "x"])
        #expect(noDP.status != 0)
        #expect(noDP.error.contains("--dp"))
        // The site's own data and keys can never become content a DP would serve.
        for unsafe in [cluster.root.path, cluster.data.path, cluster.data.appendingPathComponent("keys").path] {
            let refused = try cluster.ferry(["content", "create", "--name", "leak", "--source", unsafe])
            #expect(refused.status != 0, "importing \(unsafe) must be refused")
            #expect(refused.error.contains("overlaps the site's own data or keys"), "\(refused.error)")
        }
        let badType = try cluster.ferry(["content", "create", "--name", "x", "--source", "/tmp", "--type", "spaceship"])
        #expect(badType.status != 0)
        let listed = try cluster.json([String: [String]].self, ["cluster", "down"])
        #expect(listed["stopped"]?.count == 8)
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }
}
