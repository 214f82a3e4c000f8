import Foundation
import ServiceKit
import Testing

/// The subset of `ferry locate --address IP --request --json` the tests read.
struct LocationJSON: Decodable {
    struct Point: Decodable {
        var name: String
        var httpURL: String
        var slow: Bool
        var preferred: Bool
    }
    var versionID: String
    var distributionPoints: [Point]
    var downloadToken: String?
}

extension ClusterTests {
    @Test("the management point answers with the client's preferred DPs holding the version, fast first, and a download token")
    func contentLocation() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("app.msi", 300_000)])
        try cluster.up()
        let created = try cluster.json(VersionJSON.self, ["content", "create", "--name", "app", "--source", source.path])
        try cluster.ok(["boundary-group", "create", "branch-2", "--subnet", "127.0.2.0/24"])
        try cluster.ok(["boundary-group", "create", "hq", "--range", "127.0.1.1-127.0.1.50"])
        try cluster.ok(["boundary-group", "add-dp", "branch-2", "dp2", "--slow"])
        try cluster.ok(["boundary-group", "add-dp", "branch-2", "dp1"])
        try cluster.ok(["boundary-group", "add-dp", "hq", "dp1"])

        // Nothing distributed yet: content not available anywhere.
        let before = try cluster.json(LocationJSON.self, ["locate", "app", "--address", "127.0.2.10", "--request"])
        #expect(before.distributionPoints.isEmpty)
        #expect(before.downloadToken == nil)

        try cluster.ok(["distribute", "app", "--dp", "dp2"])
        #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "60"]).status == 0)
        let onlySlow = try await eventually { try cluster.json(LocationJSON.self, ["locate", "app", "--address", "127.0.2.10", "--request"]) } until: {
            !$0.distributionPoints.isEmpty
        }
        #expect(onlySlow.distributionPoints.map(\.name) == ["dp2"])
        #expect(onlySlow.distributionPoints.first?.slow == true)

        try cluster.ok(["distribute", "app", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "60"]).status == 0)
        let both = try await eventually { try cluster.json(LocationJSON.self, ["locate", "app", "--address", "127.0.2.10", "--request"]) } until: {
            $0.distributionPoints.count == 2
        }
        #expect(both.distributionPoints.map(\.name) == ["dp1", "dp2"], "fast links come first")
        #expect(both.distributionPoints.allSatisfy { $0.preferred })
        #expect(both.versionID == created.version.versionID)
        let token = try #require(both.downloadToken)
        let verifier = try SiteTokenVerifier(publicKeyFile: cluster.data.appendingPathComponent("keys/site-signing.key.pub"), clock: SystemClock())
        let claims = try verifier.verify(token, scope: "download", versionID: created.version.versionID)
        #expect(claims.subject == "127.0.2.10")
        #expect(claims.expiresAt > Date())

        // Range groups, and clients outside every group.
        let hq = try cluster.json(LocationJSON.self, ["locate", "app", "--address", "127.0.1.50", "--request"])
        #expect(hq.distributionPoints.map(\.name) == ["dp1"])
        let outside = try cluster.json(LocationJSON.self, ["locate", "app", "--address", "127.0.1.51", "--request"])
        #expect(outside.distributionPoints.isEmpty)

        // Bad input: clear errors, nothing changes.
        let badAddress = try cluster.ferry(["locate", "app", "--address", "300.1.1.1"])
        #expect(badAddress.status != 0)
        #expect(badAddress.error.contains("is not an IPv4 address"))
        let unknown = try cluster.ferry(["locate", "nothing", "--address", "127.0.2.10"])
        #expect(unknown.error.contains("no content named 'nothing'"))
        let badSubnet = try cluster.ferry(["boundary-group", "create", "bad", "--subnet", "127.0.0.0/33"])
        #expect(badSubnet.status != 0)
        let unknownDP = try cluster.ferry(["boundary-group", "add-dp", "hq", "dp9"])
        #expect(unknownDP.error.contains("no distribution point named 'dp9'"))
        let groups = try cluster.ferry(["boundary-group", "list"])
        #expect(!groups.output.contains("bad"))
        #expect(!groups.output.contains("dp9"))
    }

    /// Polls `read` until `done` holds (snapshots reach the MP asynchronously), at most 20 s.
    func eventually<T>(_ read: () throws -> T, until done: (T) -> Bool) async throws -> T {
        var value = try read()
        for _ in 0..<200 where !done(value) {
            try await Task.sleep(for: .milliseconds(100))
            value = try read()
        }
        return value
    }
}
