import FerryFuzz
import Foundation
import Testing

extension ClusterTests {
    /// Issue 14 item 7: the short fixed-seed slice of the fuzzing campaign (the full run is
    /// `ferry-fuzz`, 100,000 cases each; docs/RELIABILITY.md has its figures).
    @Test("Issue 14 item 7: mutated envelopes and HTTP requests to every service: no crash, every answer readable, no 5xx")
    func fuzzingSlice() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        // Peer caches on, so their routes are fuzzed with real versions' tokens too.
        try cluster.up(["--peer-caching", "on"])
        let reports = try await FuzzCommand.campaign(cluster: cluster.data, busCases: 4_000, httpCases: 1_500, seed: 14)
        for report in reports {
            #expect(report.passed, "\(report.summary)")
            #expect(report.sent > 1_000, "\(report.summary)")
            #expect(report.crashed.isEmpty, "\(report.summary)")
        }
        // Most bus cases are refused with a typed error, and the services still answer.
        let bus = try #require(reports.first { $0.kind == "bus" })
        #expect(bus.replies.filter { $0.key.hasPrefix("error:") }.values.reduce(0, +) > bus.sent / 2, "\(bus.summary)")
        // HTTP cases named a real version with tokens for it, and no well-formed request hung.
        let http = try #require(reports.first { $0.kind == "http" })
        #expect(http.realVersions >= 1 && http.realChunks >= 1, "\(http.summary)")
        #expect(http.hangs.isEmpty, "\(http.summary)")
        #expect(try cluster.ferry(["cluster", "status"]).status == 0)
        #expect(try cluster.ferry(["content", "list"]).status == 0)
    }
}
