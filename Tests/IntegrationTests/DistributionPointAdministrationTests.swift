import Foundation
import Testing

/// The subset of `ferry dp set|show|add --json` the tests read.
struct DistributionPointDetailJSON: Decodable {
    struct Point: Decodable {
        var name: String
        var priority: Int?
        var priorityIsManual: Bool?
        var onSiteServer: Bool?
        var schedule: [String]?
        var rateLimit: String?
    }
    struct Entry: Decodable {
        var content: String
    }
    var point: Point
    var queue: [Entry]
}

extension ClusterTests {
    @Test("Issue 16 (T3, C7): ferry dp set/show/add/remove through the CLI, every change at once; bad values refused in one line, nothing changed")
    func distributionPointAdministration() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("app")
        try SourceFolder.make(at: source, files: [("setup.bin", 300_000)])
        try cluster.up()

        let set = try cluster.json(DistributionPointDetailJSON.self, [
            "dp", "set", "dp2", "--schedule", "mon-fri 08-18 closed", "--schedule", "sat,sun all high", "--rate", "pulse:64:1", "--priority", "7"])
        #expect(set.point.schedule == ["mon-fri 08-18 closed", "sat-sun 00-24 high"])
        #expect(set.point.rateLimit == "pulse:64:1")
        #expect(set.point.priority == 7 && set.point.priorityIsManual == true)
        let list = try cluster.ok(["dp", "list"])
        #expect(list.contains("7 (manual)") && list.contains("pulse:64:1"))

        // Bad values: one line on stderr, exit non-zero, the DP unchanged.
        for arguments in [["--schedule", "mon-fri 08-25 closed"], ["--rate", "pulse:0:1"], ["--rate", "120%"], ["--priority", "fast"],
                          ["--priority", "0"], ["--on-site-server", "true", "--rate", "unlimited"]] {
            let result = try cluster.ferry(["dp", "set", "dp2"] + arguments)
            #expect(result.status != 0, "\(arguments) was accepted")
            let lines = result.error.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("ferry: "), "\(arguments): \(result.error)")
        }
        let unknown = try cluster.ferry(["dp", "show", "dp7"])
        #expect(unknown.status != 0 && unknown.error.contains("no distribution point named 'dp7'"))
        let after = try cluster.json(DistributionPointDetailJSON.self, ["dp", "show", "dp2"])
        #expect(after.point.schedule == set.point.schedule && after.point.rateLimit == set.point.rateLimit && after.point.priority == 7)

        // Back to measured; the site-server flag drops schedule and rate from what applies.
        let automatic = try cluster.json(DistributionPointDetailJSON.self, ["dp", "set", "dp2", "--priority", "auto", "--on-site-server", "true"])
        #expect(automatic.point.priority == 100 && automatic.point.priorityIsManual == false && automatic.point.onSiteServer == true)
        #expect(try cluster.ok(["dp", "show", "dp2"]).contains("on the site server"))

        // Removed and added back at run time: the site forgets it, then sends to it again.
        try cluster.ok(["content", "create", "--name", "app", "--source", source.path])
        try cluster.ok(["distribute", "app", "--dp", "dp2"])
        #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "60"]).status == 0)
        let dp2 = try cluster.service("dp2")
        let removed = try cluster.ok(["dp", "remove", "dp2"])
        #expect(removed.contains("1 installed version(s) forgotten") && removed.contains("left in place"))
        #expect(!(try cluster.ok(["dp", "list"]).contains("dp2")))
        let key = dp2.publicKey.isEmpty ? ["--public-key-file", cluster.data.appendingPathComponent("keys/dp2.key.pub").path]
            : ["--public-key", dp2.publicKey]
        let added = try cluster.json(DistributionPointDetailJSON.self, ["dp", "add", "dp2", "--bus", dp2.bus, "--http", dp2.http] + key)
        #expect(added.point.name == "dp2" && added.queue.isEmpty)
        let again = try cluster.json(DistributeJSON.self, ["distribute", "app", "--dp", "dp2"])
        #expect(again.queued == ["dp2"])
        #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "60"]).status == 0)
        // Nothing crossed twice: the DP still held every chunk.
        #expect(try await cluster.metric("dp2", "ferry_dp_received_chunk_bytes_total") == 300_000)
    }
}
