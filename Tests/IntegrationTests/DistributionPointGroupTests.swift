import ContentStore
import Foundation
import Testing

/// The subset of `ferry distribute --json` the tests read.
struct DistributeJSON: Decodable {
    var queued: [String]
    var alreadyInstalled: [String]
    var alreadyInProgress: [String]
}

/// The subset of `ferry dp-group … --json` the tests read.
struct GroupsJSON: Decodable {
    struct Group: Decodable {
        var name: String
        var distributionPoints: [String]
        var contents: [String]
        var collections: [String]
    }
    var groups: [Group]
    var queued: [String]
}

extension ClusterTests {
    @Test("DP groups: a DP added later gets the group's content; collections reach their groups; a later association moves nothing until redistributed")
    func distributionPointGroups() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let first = cluster.root.appendingPathComponent("first")
        try SourceFolder.make(at: first, files: [("one.bin", 500_000)])
        let second = cluster.root.appendingPathComponent("second")
        try SourceFolder.make(at: second, files: [("two.bin", 300_000)], seed: 9)
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "first", "--source", first.path])
        try cluster.ok(["content", "create", "--name", "second", "--source", second.path])

        // A group's content reaches a DP added later, automatically.
        try cluster.ok(["dp-group", "create", "g1", "--dp", "dp1"])
        let toGroup = try cluster.json(DistributeJSON.self, ["distribute", "first", "--dp-group", "g1"])
        #expect(toGroup.queued == ["dp1"])
        #expect(try cluster.ferry(["status", "first", "--wait", "--timeout", "60"]).status == 0)
        let added = try cluster.json(GroupsJSON.self, ["dp-group", "add", "g1", "dp2"])
        #expect(added.queued == ["first → dp2"])
        #expect(try cluster.ferry(["status", "first", "--wait", "--timeout", "60"]).status == 0)
        let firstTargets = try cluster.json(StatusJSON.self, ["status", "first"]).targets
        #expect(firstTargets.map(\.distributionPoint) == ["dp1", "dp2"])
        #expect(firstTargets.allSatisfy { $0.state == "installed" && $0.origin == "dp group g1" })

        // A collection without a DP group has nowhere to go: a clear error, nothing queued.
        try cluster.ok(["collection", "create", "branch", "--agent", "agent2"])
        let nowhere = try cluster.ferry(["distribute", "second", "--collection", "branch"])
        #expect(nowhere.status != 0)
        #expect(nowhere.error.contains("collection 'branch' has no DP group"), "\(nowhere.error)")
        #expect(try cluster.json(StatusJSON.self, ["status", "second"]).targets.isEmpty)

        // Distributing to a collection reaches the groups associated with it now.
        try cluster.ok(["dp-group", "create", "g2", "--dp", "dp1"])
        try cluster.ok(["collection", "associate", "branch", "--dp-group", "g2"])
        let toCollection = try cluster.json(DistributeJSON.self, ["distribute", "second", "--collection", "branch"])
        #expect(toCollection.queued == ["dp1"])
        #expect(try cluster.ferry(["status", "second", "--wait", "--timeout", "60"]).status == 0)

        // Associating another group later sends nothing by itself…
        let receivedBefore = try await cluster.metric("dp2", "ferry_dp_received_chunk_bytes_total")
        try cluster.ok(["collection", "associate", "branch", "--dp-group", "g1"])
        try await Task.sleep(for: .seconds(2))
        #expect(try cluster.json(StatusJSON.self, ["status", "second"]).targets.map(\.distributionPoint) == ["dp1"])
        #expect(try await cluster.metric("dp2", "ferry_dp_received_chunk_bytes_total") == receivedBefore)

        // …until it is distributed to the collection again. dp1 is in both groups: once.
        let again = try cluster.json(DistributeJSON.self, ["distribute", "second", "--collection", "branch"])
        #expect(again.queued == ["dp2"])
        #expect(again.alreadyInstalled == ["dp1"])
        #expect(try cluster.ferry(["status", "second", "--wait", "--timeout", "60"]).status == 0)
        let secondTargets = try cluster.json(StatusJSON.self, ["status", "second"]).targets
        #expect(secondTargets.map(\.distributionPoint) == ["dp1", "dp2"])
        #expect(secondTargets.first { $0.distributionPoint == "dp2" }?.origin == "collection branch (dp group g1)")

        let groups = try cluster.json(GroupsJSON.self, ["dp-group", "list"])
        #expect(groups.groups.first { $0.name == "g1" }?.contents == ["first", "second"])
        #expect(groups.groups.first { $0.name == "g1" }?.collections == ["branch"])

        // Removing a DP from a group leaves its content; a DP added back is not sent it twice.
        let removed = try cluster.json(GroupsJSON.self, ["dp-group", "remove", "g1", "dp2"])
        #expect(removed.groups.first { $0.name == "g1" }?.distributionPoints == ["dp1"])
        let readded = try cluster.json(GroupsJSON.self, ["dp-group", "add", "g1", "dp2"])
        #expect(readded.queued.isEmpty, "dp2 already holds both versions")

        // An empty group keeps what is distributed to it: the first DP added receives it.
        try cluster.ok(["dp-group", "create", "empty"])
        let toEmpty = try cluster.json(DistributeJSON.self, ["distribute", "first", "--dp-group", "empty"])
        #expect(toEmpty.queued.isEmpty)
        let filled = try cluster.json(GroupsJSON.self, ["dp-group", "add", "empty", "dp1"])
        #expect(filled.groups.first { $0.name == "empty" }?.contents == ["first"])
        #expect(filled.queued.isEmpty, "dp1 already holds it")

        // Bad input: unknown DPs, groups and collections change nothing.
        let unknownMember = try cluster.ferry(["dp-group", "create", "g3", "--dp", "dp1", "--dp", "dp9"])
        #expect(unknownMember.status != 0)
        #expect(unknownMember.error.contains("no distribution point named 'dp9'"))
        let unknownAdd = try cluster.ferry(["dp-group", "add", "g1", "dp9"])
        #expect(unknownAdd.error.contains("no distribution point named 'dp9'"))
        let unknownGroup = try cluster.ferry(["distribute", "first", "--dp-group", "nope"])
        #expect(unknownGroup.error.contains("no DP group named 'nope'"))
        let unknownCollection = try cluster.ferry(["collection", "associate", "nope", "--dp-group", "g1"])
        #expect(unknownCollection.error.contains("no collection named 'nope'"))
        let duplicate = try cluster.ferry(["dp-group", "create", "g1"])
        #expect(duplicate.error.contains("already exists"))
        let after = try cluster.json(GroupsJSON.self, ["dp-group", "list"])
        #expect(after.groups.map(\.name) == ["empty", "g1", "g2"])
        #expect(after.groups.first { $0.name == "g1" }?.distributionPoints == ["dp1", "dp2"])
    }

    @Test("redistribute copies every chunk again even where the DP has it, and the DP verifies it (a damaged chunk is repaired)")
    func redistribute() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("a.bin", 900_000), ("b.bin", 200_000)])
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "app", "--source", source.path])
        try cluster.ok(["distribute", "app", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "60"]).status == 0)
        let contentBytes = try cluster.storedChunkBytes("dp1")
        #expect(try await cluster.metric("dp1", "ferry_dp_received_chunk_bytes_total") == contentBytes)

        // A plain distribute changes nothing: the DP has it.
        let plain = try cluster.json(DistributeJSON.self, ["distribute", "app", "--dp", "dp1"])
        #expect(plain.alreadyInstalled == ["dp1"])
        #expect(plain.queued.isEmpty)

        // Damage one stored chunk, then redistribute: every chunk crosses again, the damaged one is replaced.
        let stored = try cluster.storedChunks("dp1")
        let damaged = try #require(stored.keys.sorted().first)
        let chunkFile = cluster.data.appendingPathComponent("dp1/store/chunks/\(damaged.prefix(2))/\(damaged)")
        try Data(repeating: 0x41, count: stored[damaged] ?? 10).write(to: chunkFile)
        let again = try cluster.json(DistributeJSON.self, ["redistribute", "app", "--dp", "dp1"])
        #expect(again.queued == ["dp1"])
        #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "60"]).status == 0)
        let target = try #require(try cluster.json(StatusJSON.self, ["status", "app"]).targets.first)
        #expect(target.origin == "named, redistributed")
        #expect(try await cluster.metric("dp1", "ferry_dp_received_chunk_bytes_total") == 2 * contentBytes)
        #expect(ContentHash.sha256Hex(try Data(contentsOf: chunkFile)) == damaged, "the damaged chunk was replaced by a verified copy")
        let unknown = try cluster.ferry(["redistribute", "app", "--dp", "dp9"])
        #expect(unknown.status != 0)
        #expect(unknown.error.contains("no distribution point named 'dp9'"))
    }
}

extension ClusterFixture {
    /// The bytes of every distinct chunk a DP stores.
    func storedChunkBytes(_ node: String) throws -> Double {
        Double(try storedChunks(node).values.reduce(0, +))
    }
}
