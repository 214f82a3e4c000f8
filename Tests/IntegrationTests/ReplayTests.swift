import Foundation
import Testing

/// The subset of `ferry replay --json` the tests read.
struct ReplayOutcomeJSON: Decodable {
    var type: String
    var recordedReply: String?
    var reply: String
    var sameType: Bool
    var sameBody: Bool
}

extension ClusterTests {
    @Test("ferry replay plays a service's journal against it: queries match, commands are not applied twice")
    func replayJournal() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("x.bin", 200_000)])
        let up = try cluster.ferry(["cluster", "up", "--journal"])
        #expect(up.status == 0, "\(up.error)")
        try cluster.ok(["content", "create", "--name", "x", "--source", source.path])
        try cluster.ok(["distribute", "x", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "x", "--wait", "--timeout", "60"]).status == 0)
        try cluster.ok(["content", "list"])
        let journal = cluster.data.appendingPathComponent("site/journal.jsonl")
        let lines = try String(contentsOf: journal, encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 6)

        let replay = try cluster.ferry(["replay", journal.path, "--to", "site", "--json"])
        #expect(replay.status == 1, "re-creating existing content must differ from the recorded reply")
        let outcomes = try JSONDecoder().decode([ReplayOutcomeJSON].self, from: Data(replay.output.utf8))
        let list = try #require(outcomes.first { $0.type == "content.list" })
        #expect(list.sameBody, "a query replays to the same answer")
        let create = try #require(outcomes.first { $0.type == "content.create" })
        #expect(create.recordedReply == "content.version")
        #expect(create.reply == "error", "the content exists now")
        // The PTM's report replays to an ack marked duplicate: applied once, not twice.
        let report = try #require(outcomes.first { $0.type == "transfer.report" })
        #expect(report.sameType)
        #expect(!report.sameBody)
        let status = try cluster.json(StatusJSON.self, ["status", "x"])
        #expect(status.targets.map(\.state) == ["installed"])

        let unknownNode = try cluster.ferry(["replay", journal.path, "--to", "nowhere"])
        #expect(unknownNode.status != 0)
        #expect(unknownNode.error.contains("no node named 'nowhere'"))
    }
}
