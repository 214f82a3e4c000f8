import Foundation
import Testing

extension ClusterTests {
    /// SPEC C3 on real processes: the setting through the CLI, an update with scattered edits
    /// reaching the DP as deltas (counted by the DP's own /metrics), applications refusing off.
    @Test("C3: ferry content set --differential on; an edited image reaches the DP as deltas; an application cannot turn it off")
    func differentialReplicationThroughTheCLI() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("image.bin", 4_000_000), ("docs/readme.txt", 40_000)])
        try cluster.up()

        try cluster.ok(["content", "create", "--name", "image", "--source", source.path])
        let set = try cluster.ok(["content", "set", "image", "--differential", "on"])
        #expect(set.contains("differential on"), "\(set)")
        #expect(try cluster.ok(["content", "show", "image"]).contains("updates sent as deltas"))
        try cluster.ok(["distribute", "image", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "image", "--wait", "--timeout", "120"]).status == 0)
        let wholeBefore = try await cluster.metric("dp1", "ferry_dp_received_chunk_bytes_total")

        // 30 scattered 500-byte edits: about 30 changed chunks, 15 KB of new bytes.
        var generator = SplitMix(seed: 18)
        let handle = try FileHandle(forWritingTo: source.appendingPathComponent("image.bin"))
        for edit in 0..<30 {
            try handle.seek(toOffset: UInt64(edit * 130_000 + 1_000))
            handle.write(SourceFolder.randomData(500, &generator))
        }
        try handle.close()
        try cluster.ok(["content", "update", "image"])
        #expect(try cluster.ferry(["status", "image", "--wait", "--timeout", "120"]).status == 0)
        let deltaBytes = try await cluster.metric("dp1", "ferry_dp_received_delta_bytes_total")
        let wholeAfter = try await cluster.metric("dp1", "ferry_dp_received_chunk_bytes_total")
        #expect(deltaBytes > 0)
        #expect(deltaBytes < 200_000, "deltas for 15 KB of edits: \(deltaBytes) bytes")
        #expect(wholeAfter == wholeBefore, "no chunk went whole")
        #expect(try await cluster.metric("dp1", "ferry_dp_delta_failed_total") == 0)

        // An application always uses it: turning it off is refused and changes nothing.
        try cluster.ok(["content", "create", "--name", "tool", "--type", "application", "--source", source.appendingPathComponent("docs").path])
        let refused = try cluster.ferry(["content", "set", "tool", "--differential", "off"])
        #expect(refused.status != 0)
        #expect(refused.error.contains("applications always use binary differential replication"), "\(refused.error)")
    }

    /// SPEC C3 (item 4) on real processes: agents holding the previous version ask the DP for
    /// deltas against it, and the DP sends no chunk of the update whole.
    @Test("C3: an agent holding the previous version gets the update from its DP as deltas")
    func agentsGetDeltas() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("image.bin", 3_000_000)])
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "image", "--source", source.path])
        try cluster.ok(["content", "set", "image", "--differential", "on"])
        try cluster.ok(["boundary-group", "create", "everyone", "--subnet", "127.0.0.0/8"])
        try cluster.ok(["boundary-group", "add-dp", "everyone", "dp1"])
        try cluster.ok(["distribute", "image", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "image", "--wait", "--timeout", "120"]).status == 0)
        try cluster.ok(["deploy", "image", "--collection", "All Systems", "--cache-only"])
        #expect(try cluster.ferry(["deployment", "status", "image", "--wait", "--timeout", "120"]).status == 0)
        let wholeBefore = try await cluster.metric("dp1", "ferry_dp_served_chunk_bytes_total")

        var generator = SplitMix(seed: 181)
        let handle = try FileHandle(forWritingTo: source.appendingPathComponent("image.bin"))
        for edit in 0..<20 {
            try handle.seek(toOffset: UInt64(edit * 140_000 + 500))
            handle.write(SourceFolder.randomData(300, &generator))
        }
        try handle.close()
        try cluster.ok(["content", "update", "image"])
        #expect(try cluster.ferry(["status", "image", "--wait", "--timeout", "120"]).status == 0)
        try cluster.ok(["deploy", "image", "--collection", "All Systems", "--cache-only"])
        #expect(try cluster.ferry(["deployment", "status", "image", "--wait", "--timeout", "120"]).status == 0)
        let served = try await cluster.metric("dp1", "ferry_dp_served_delta_bytes_total")
        #expect(served > 0, "the DP served deltas")
        #expect(served < 3 * 200_000, "three agents, 6 KB of edits each: \(served) bytes")
        #expect(try await cluster.metric("dp1", "ferry_dp_served_chunk_bytes_total") == wholeBefore, "no chunk went whole")
    }
}
