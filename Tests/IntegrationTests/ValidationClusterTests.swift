import ContentStore
import Foundation
import Testing

extension ClusterTests {
    /// SPEC C10 on real processes: `ferry dp validate` finds a flipped byte, `ferry status`
    /// says so, `ferry dp repair` sends that chunk alone, and the version is installed again.
    @Test("C10: ferry dp validate finds a flipped byte, ferry status shows it, ferry dp repair re-sends that chunk only")
    func validateAndRepairThroughTheCLI() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("setup.bin", 1_500_000), ("readme.txt", 5_000)])
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "office", "--source", source.path])
        try cluster.ok(["distribute", "office", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "office", "--wait", "--timeout", "120"]).status == 0)

        let chunks = try cluster.storedChunks("dp1")
        let victim = try #require(chunks.keys.sorted().first)
        let store = try ChunkStore(root: cluster.data.appendingPathComponent("dp1/store", isDirectory: true))
        var bytes = try Data(contentsOf: store.chunkURL(victim))
        bytes[0] ^= 0x80
        try bytes.write(to: store.chunkURL(victim))

        let validated = try cluster.ok(["dp", "validate", "dp1"])
        #expect(validated.contains("validation queued for office"), "\(validated)")
        var status = try cluster.json(StatusJSON.self, ["status", "office"])
        for _ in 0..<100 where status.targets.first?.state != "failed" {
            try await Task.sleep(for: .milliseconds(100))
            status = try cluster.json(StatusJSON.self, ["status", "office"])
        }
        #expect(status.targets.first?.state == "failed")
        #expect(status.targets.first?.reason?.contains("0 chunks missing and 1 corrupt") == true, "\(status.targets)")

        let before = try await cluster.metric("dp1", "ferry_dp_received_chunk_bytes_total")
        #expect(try cluster.ok(["dp", "repair", "dp1"]).contains("repair queued for office"))
        #expect(try cluster.ferry(["status", "office", "--wait", "--timeout", "120"]).status == 0)
        #expect(try await cluster.metric("dp1", "ferry_dp_received_chunk_bytes_total") - before == Double(chunks[victim] ?? -1))
        #expect(try ContentHash.sha256Hex(Data(contentsOf: store.chunkURL(victim))) == victim)
    }
}
