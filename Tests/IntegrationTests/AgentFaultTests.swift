import ContentStore
import Foundation
import HTTPTransfer
import Testing

extension ClusterTests {
    @Test("a corrupt chunk on a DP is never cached: agents finish from the next DP in their answer")
    func corruptChunkFailover() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("app.bin", 2_000_000)])
        try cluster.up()
        let created = try cluster.json(VersionJSON.self, ["content", "create", "--name", "app", "--source", source.path])
        try cluster.ok(["boundary-group", "create", "all", "--subnet", "127.0.0.0/8"])
        try cluster.ok(["boundary-group", "add-dp", "all", "dp1"])
        try cluster.ok(["boundary-group", "add-dp", "all", "dp2", "--slow"])
        try cluster.ok(["distribute", "app", "--dp", "dp1", "--dp", "dp2"])
        #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "60"]).status == 0)
        // Flip bytes in the middle of one of dp1's chunk files.
        let manifest = try Manifest.decode(try await HTTPClient.shared.get(try cluster.service("dp1").http + "/manifests/\(created.version.versionID)",
                                                                            options: try cluster.transfer()).body)
        let victim = try #require(manifest.uniqueChunks.dropFirst(2).first)
        let chunkFile = cluster.data.appendingPathComponent("dp1/store/chunks/\(victim.hash.prefix(2))/\(victim.hash)")
        var bytes = try Data(contentsOf: chunkFile)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: chunkFile)

        try cluster.ok(["deploy", "app", "--collection", "All Systems", "--cache-only"])
        let waited = try cluster.ferry(["deployment", "status", "app", "--wait", "--timeout", "120"])
        #expect(waited.status == 0, "\(waited.error)")
        let status = try cluster.json(DeploymentJSON.self, ["deployment", "status", "app"])
        #expect(status.agents.count == 3)
        #expect(status.agents.allSatisfy { $0.state == "cached" && $0.source == "dp2" }, "every agent finished from dp2")
        for agent in ["agent1", "agent2", "agent3"] {
            let cached = cluster.data.appendingPathComponent("\(agent)/cache/app/\(created.version.versionID)/app.bin")
            #expect(try Data(contentsOf: cached) == Data(contentsOf: source.appendingPathComponent("app.bin")))
            let stored = cluster.data.appendingPathComponent("\(agent)/store/chunks/\(victim.hash.prefix(2))/\(victim.hash)")
            #expect(ContentHash.sha256Hex(try Data(contentsOf: stored)) == victim.hash, "the agent's copy of the chunk is the good one")
        }
        let log = try String(contentsOf: cluster.data.appendingPathComponent("agent1/agent.log"), encoding: .utf8)
        #expect(log.contains("corrupt chunk"))
    }

    @Test("kill -9 an agent mid-download: after restart it resumes without fetching verified chunks again, and runs once")
    func agentCrashResumes() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: (0..<4).map { ("disk\($0).img", 15_000_000) })
        try cluster.up()
        let created = try cluster.json(VersionJSON.self, ["content", "create", "--name", "image", "--source", source.path])
        // Only agent1 (127.0.1.10) uses dp1, so dp1's served bytes are agent1's downloads.
        try cluster.ok(["boundary-group", "create", "hq", "--subnet", "127.0.1.0/24"])
        try cluster.ok(["boundary-group", "create", "branch", "--subnet", "127.0.2.0/24"])
        try cluster.ok(["boundary-group", "add-dp", "hq", "dp1"])
        try cluster.ok(["boundary-group", "add-dp", "branch", "dp2"])
        try cluster.ok(["distribute", "image", "--dp", "dp1", "--dp", "dp2"])
        #expect(try cluster.ferry(["status", "image", "--wait", "--timeout", "120"]).status == 0)
        try cluster.ok(["deploy", "image", "--collection", "All Systems", "--run", "echo ran >> runs.log"])

        var killedMidway = false
        for _ in 0..<600 {
            let served = try await cluster.metric("dp1", "ferry_dp_served_chunk_bytes_total")
            if served > 5_000_000 {
                try cluster.kill9("agent1")
                killedMidway = served < 55_000_000
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(killedMidway, "agent1 must be killed in the middle of its download")
        try cluster.up()
        let waited = try cluster.ferry(["deployment", "status", "image", "--wait", "--timeout", "180"])
        #expect(waited.status == 0, "\(waited.error)")
        let served = Int64(try await cluster.metric("dp1", "ferry_dp_served_chunk_bytes_total"))
        let manifest = try Manifest.decode(try await HTTPClient.shared.get(try cluster.service("dp1").http + "/manifests/\(created.version.versionID)",
                                                                            options: try cluster.transfer()).body)
        let unique = manifest.uniqueChunks.reduce(Int64(0)) { $0 + Int64($1.size) }
        // An agent keeps 4 chunk requests in flight (parallelDownloads' default): those may have
        // left the DP without being stored when it died, and only those may travel twice.
        let inFlight = Int64(manifest.uniqueChunks.map(\.size).sorted(by: >).prefix(4).reduce(0, +))
        #expect(served >= unique)
        #expect(served - unique <= inFlight, "only the chunks in flight at the kill may travel twice; \(served - unique) bytes did")
        let folder = cluster.data.appendingPathComponent("agent1/cache/image/\(created.version.versionID)")
        #expect(try Data(contentsOf: folder.appendingPathComponent("disk3.img")) == Data(contentsOf: source.appendingPathComponent("disk3.img")))
        #expect(try String(contentsOf: folder.appendingPathComponent("runs.log"), encoding: .utf8) == "ran\n")
    }
}

extension ClusterTests {
    @Test("kill -9 the DP an agent downloads from: it finishes from the next DP in its answer")
    func distributionPointDiesMidDownload() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: (0..<4).map { ("part\($0).bin", 15_000_000) })
        try cluster.up()
        let created = try cluster.json(VersionJSON.self, ["content", "create", "--name", "os", "--source", source.path, "--type", "os-image"])
        try cluster.ok(["boundary-group", "create", "all", "--subnet", "127.0.0.0/8"])
        try cluster.ok(["boundary-group", "add-dp", "all", "dp1"])
        try cluster.ok(["boundary-group", "add-dp", "all", "dp2", "--slow"])
        try cluster.ok(["distribute", "os", "--dp", "dp1", "--dp", "dp2"])
        #expect(try cluster.ferry(["status", "os", "--wait", "--timeout", "180"]).status == 0)
        try cluster.ok(["deploy", "os", "--collection", "All Systems", "--cache-only"])
        var killedMidway = false
        for _ in 0..<600 {
            let served = try await cluster.metric("dp1", "ferry_dp_served_chunk_bytes_total")
            if served > 5_000_000 {
                try cluster.kill9("dp1")
                killedMidway = served < 150_000_000
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(killedMidway, "dp1 must die while the agents download from it")
        let waited = try cluster.ferry(["deployment", "status", "os", "--wait", "--timeout", "180"])
        #expect(waited.status == 0, "\(waited.error)")
        let status = try cluster.json(DeploymentJSON.self, ["deployment", "status", "os"])
        #expect(status.agents.count == 3)
        #expect(status.agents.allSatisfy { $0.state == "cached" && $0.source == "dp2" })
        let cached = cluster.data.appendingPathComponent("agent3/cache/os/\(created.version.versionID)/part2.bin")
        #expect(try Data(contentsOf: cached) == Data(contentsOf: source.appendingPathComponent("part2.bin")))
    }

    @Test("an updated version reaches agents with only the changed chunks downloaded")
    func updatedVersionFetchesOnlyChanges() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("base.bin", 4_000_000), ("conf.bin", 100_000)])
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "app", "--source", source.path])
        try cluster.ok(["boundary-group", "create", "hq", "--subnet", "127.0.1.0/24"])
        try cluster.ok(["boundary-group", "create", "branch", "--subnet", "127.0.2.0/24"])
        try cluster.ok(["boundary-group", "add-dp", "hq", "dp1"])
        try cluster.ok(["boundary-group", "add-dp", "branch", "dp2"])
        try cluster.ok(["distribute", "app", "--dp", "dp1", "--dp", "dp2"])
        #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "60"]).status == 0)
        try cluster.ok(["deploy", "app", "--collection", "All Systems", "--cache-only"])
        #expect(try cluster.ferry(["deployment", "status", "app", "--wait", "--timeout", "120"]).status == 0)
        let before = try await cluster.metric("dp1", "ferry_dp_served_chunk_bytes_total")

        try SourceFolder.make(at: source, files: [("conf.bin", 100_000)], seed: 42)
        let updated = try cluster.json(VersionJSON.self, ["content", "update", "app"])
        #expect(updated.isNewVersion)
        try cluster.ok(["distribute", "app", "--dp", "dp1", "--dp", "dp2"])
        #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "60"]).status == 0)
        try cluster.ok(["deploy", "app", "--collection", "All Systems", "--cache-only"])
        #expect(try cluster.ferry(["deployment", "status", "app", "--wait", "--timeout", "120"]).status == 0)
        let status = try cluster.json(DeploymentJSON.self, ["deployment", "status", "app"])
        #expect(status.deployment.versionID == updated.version.versionID)
        // agent1 alone uses dp1: what dp1 served it for version 2 is exactly the new chunks.
        let fetched = Int64(try await cluster.metric("dp1", "ferry_dp_served_chunk_bytes_total") - before)
        #expect(fetched == updated.newBytes, "agent1 fetched \(fetched) bytes; the new chunks are \(updated.newBytes)")
        let cached = cluster.data.appendingPathComponent("agent1/cache/app/\(updated.version.versionID)/conf.bin")
        #expect(try Data(contentsOf: cached) == Data(contentsOf: source.appendingPathComponent("conf.bin")))
    }
}

extension ClusterTests {
    @Test("kill -9 an agent while its command runs: after restart the command is not run a second time")
    func agentCrashDuringCommand() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("setup.sh", 1_000)])
        try cluster.up()
        let created = try cluster.json(VersionJSON.self, ["content", "create", "--name", "slow", "--source", source.path])
        try cluster.ok(["boundary-group", "create", "hq", "--subnet", "127.0.1.0/24"])
        try cluster.ok(["boundary-group", "add-dp", "hq", "dp1"])
        try cluster.ok(["collection", "create", "HQ", "--agent", "agent1"])
        try cluster.ok(["distribute", "slow", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "slow", "--wait", "--timeout", "60"]).status == 0)
        try cluster.ok(["deploy", "slow", "--collection", "HQ", "--run", "echo started >> runs.log; sleep 3; echo finished >> runs.log"])
        let folder = cluster.data.appendingPathComponent("agent1/cache/slow/\(created.version.versionID)")
        var started = false
        for _ in 0..<300 {
            if (try? String(contentsOf: folder.appendingPathComponent("runs.log"), encoding: .utf8))?.contains("started") == true {
                started = true
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(started, "the command must be running when the agent is killed")
        try cluster.kill9("agent1")
        try cluster.up()
        var final: DeploymentJSON.Agent?
        for _ in 0..<100 {
            final = try cluster.json(DeploymentJSON.self, ["deployment", "status", "slow"]).agents.first { $0.agent == "agent1" }
            if final?.state == "failed" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(final?.state == "failed")
        #expect(final?.detail?.contains("not run twice") == true, "\(final?.detail ?? "nil")")
        // Several policy cycles later the command has still started exactly once.
        try await Task.sleep(for: .seconds(5))
        let log = try String(contentsOf: folder.appendingPathComponent("runs.log"), encoding: .utf8)
        #expect(log.components(separatedBy: "started").count - 1 == 1, "\(log)")
    }
}
