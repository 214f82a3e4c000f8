import Bus
import Clocks
import ContentStore
import DistributionManager
import Foundation
import ManagementPoint
import Messages
import PackageTransferManager
import PullDP
import Testing

// Issue 17: pull DPs through the real site, PTM, MP and DPs built in-process on one manual
// clock (the PTM's 20- and 60-minute timers and the pull DP's 30-minute wait are advanced,
// not slept). The pull DP downloads from its source over real HTTP with a token from the MP.
@Suite("Pull DPs end to end", .serialized)
struct PullDistributionTests {
    @Test func T5_thePTMChecksThePullDPsSourceEvery20MinutesThenNotifiesAndTheStatusComesThroughTheMP() async throws {
        try await PullSite.run { site in
            _ = try await site.admin.request(SetDistributionPoint(name: "dp2", pullSources: [PullSource(name: "dp1", rank: 1)]))
            let versionID = try await site.content("office", seed: 1)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp2"], redistribute: false))
            // dp1 does not hold it yet: the PTM waits and says so, and copies nothing.
            #expect(try await eventually { try await site.reason("office", "dp2")?.contains("no source of this pull DP holds version 1 yet") == true })
            #expect(try await site.reason("office", "dp2")?.contains("next check at Mon 00:20") == true)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually { try await site.state("office", "dp1") == .installed })
            site.site.clock.advance(by: .seconds(19 * 60))
            try await Task.sleep(for: .milliseconds(800))
            #expect(try site.chunksAt("dp2", of: versionID) == 0, "no check before the 20 minutes are up")

            site.site.clock.advance(by: .seconds(60))
            #expect(try await eventually { try await site.state("office", "dp2") == .installed })
            #expect(try site.installedAt("dp2", versionID))
            #expect(try site.chunksAt("dp2", of: versionID) == site.chunkCount(versionID))
            #expect(try await site.reason("office", "dp2")?.contains("pull DP, from dp1: installed from dp1") == true)
            // The site pushed nothing to the pull DP; dp1 counts it as a client (SPEC P6).
            #expect(try site.counter("dp2", "ferry_dp_received_chunk_bytes_total") == 0)
            #expect(try site.counter("dp1", "ferry_dp_served_chunk_bytes_total") == site.versionBytes(versionID))
            let usage = try await site.site.client(to: "dp1", as: "site").request(DistributionPointUsageQuery())
            #expect(usage.uniqueClients == 1)
            // The PTM's job ended with the status the site passed on, without asking.
            #expect(try await eventually { try await site.pullPhase() == "installed" })
        }
    }

    @Test func C3_P2_aPullDPAsksItsSourceForDeltasAgainstTheVersionItHolds() async throws {
        try await PullSite.run { site in
            _ = try await site.admin.request(SetDistributionPoint(name: "dp2", pullSources: [PullSource(name: "dp1", rank: 1)]))
            try await site.waitForSnapshotAtTheMP()
            let source = try site.site.source("image", files: [("image.bin", 1_500_000)], seed: 21)
            let first = try await site.admin.request(CreateContent(name: "image", type: .package, priority: .medium, sourcePath: source.path))
            _ = try await site.admin.request(SetContent(name: "image", distributeOnDemand: nil, differential: true))
            _ = try await site.admin.request(Distribute(name: "image", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually { try await site.state("image", "dp1") == .installed })
            _ = try await site.admin.request(Distribute(name: "image", distributionPoints: ["dp2"], redistribute: false))
            #expect(try await eventually { try await site.state("image", "dp2") == .installed })
            let wholeBefore = try site.counter("dp1", "ferry_dp_served_chunk_bytes_total")

            // Ten scattered 500-byte edits, then the update reaches both DPs.
            let file = source.appendingPathComponent("image.bin")
            var bytes = try Data(contentsOf: file)
            for edit in 0..<10 { bytes.replaceSubrange((edit * 140_000 + 7)..<(edit * 140_000 + 507), with: Data(repeating: UInt8(edit), count: 500)) }
            try bytes.write(to: file)
            let second = try await site.admin.request(UpdateContent(name: "image", sourcePath: nil)).version.versionID
            #expect(second != first.version.versionID)
            #expect(try await eventually { try site.installedAt("dp1", second) })
            // The PTM looks at dp2's source again after its 20 minutes.
            for _ in 0..<3 where try !site.installedAt("dp2", second) {
                site.site.clock.advance(by: .seconds(21 * 60))
                _ = try await eventually(.seconds(5)) { try site.installedAt("dp2", second) }
            }
            #expect(try await eventually { try await site.target("image", "dp2").map { $0.versionID == second && $0.state == .installed } == true })
            #expect(try site.chunksAt("dp2", of: second) == site.chunkCount(second))
            let deltas = try site.counter("dp1", "ferry_dp_served_delta_bytes_total")
            #expect(deltas > 0, "dp1 served deltas")
            #expect(deltas < 40_000, "\(deltas) bytes of deltas for 5 KB of edits")
            #expect(try site.counter("dp1", "ferry_dp_served_chunk_bytes_total") == wholeBefore, "no chunk went whole to the pull DP")
            #expect(try site.counter("dp2", "ferry_dp_pulled_delta_bytes_total") == deltas)
        }
    }

    @Test func T5_withNoStatusThePTMAsksThePullDPAfter60Minutes() async throws {
        // This MP passes nothing on: the site learns the end only from the PTM's question.
        try await PullSite.run(managementPointRelays: false) { site in
            let versionID = try await site.content("office", seed: 2)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually { try await site.state("office", "dp1") == .installed })
            _ = try await site.admin.request(SetDistributionPoint(name: "dp2", pullSources: [PullSource(name: "dp1", rank: 1)]))
            try await site.waitForSnapshotAtTheMP()
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp2"], redistribute: false))
            #expect(try await eventually { try site.installedAt("dp2", versionID) })
            #expect(try await site.reason("office", "dp2")?.contains("status expected by Mon 01:00") == true)
            site.site.clock.advance(by: .seconds(59 * 60))
            try await Task.sleep(for: .milliseconds(800))
            #expect(try await site.state("office", "dp2") != .installed, "the PTM does not ask before its 60 minutes")
            site.site.clock.advance(by: .seconds(60))
            #expect(try await eventually { try await site.state("office", "dp2") == .installed })
            #expect(try await site.pullPhase() == "installed")
        }
    }

    @Test func P2_aPullDPWhoseSourcesLackTheVersionWaits30MinutesAndTriesAgain() async throws {
        try await PullSite.run { site in
            _ = try await site.admin.request(SetDistributionPoint(name: "dp2", pullSources: [PullSource(name: "dp1", rank: 1)]))
            try await site.waitForSnapshotAtTheMP()
            let versionID = try await site.content("office", seed: 3)
            // As the PTM would, were dp1 to lose the version after the PTM's check.
            let notification = PullNotification(jobID: UUID(), contentName: "office", versionID: versionID, version: 1,
                                                totalBytes: try site.versionBytes(versionID), redistribute: false,
                                                sources: [PullSourceAddress(name: "dp1", rank: 1, httpURL: try site.httpURL("dp1"),
                                                                            busEndpoint: site.site.endpoint("dp1"), publicKey: "")])
            let asPTM = site.site.client(to: "dp2", as: "ptm")
            defer { asPTM.close() }
            _ = try await asPTM.request(notification)
            func status() async throws -> PullJobStatus { try await asPTM.request(PullStatusQuery(jobID: notification.jobID)).status }
            #expect(try await eventually { try await status().detail?.contains("dp1 lacks it") == true })
            let waiting = try await status()
            #expect(waiting.state == .waitingForSource)
            #expect(waiting.nextAttemptAt == site.site.clock.now.addingTimeInterval(1800))

            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually { try await site.state("office", "dp1") == .installed })
            site.site.clock.advance(by: .seconds(29 * 60))
            try await Task.sleep(for: .milliseconds(800))
            #expect(try await status().state == .waitingForSource)
            site.site.clock.advance(by: .seconds(60))
            #expect(try await eventually { try await status().state == .installed })
            #expect(try site.chunksAt("dp2", of: versionID) == site.chunkCount(versionID))
            // A second notification of the same job changes nothing.
            _ = try await asPTM.request(notification)
            #expect(try await status().state == .installed)
        }
    }

    @Test func C5_P5_aRedistributionToAPullDPCopiesEveryChunkAgainAndNoPullMakesItStandard() async throws {
        try await PullSite.run { site in
            let versionID = try await site.content("office", seed: 4)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually { try await site.state("office", "dp1") == .installed })
            _ = try await site.admin.request(SetDistributionPoint(name: "dp2", rateLimit: .pulse(blockKilobytes: 64, delaySeconds: 1)))
            _ = try await site.admin.request(SetDistributionPoint(name: "dp2", pullSources: [PullSource(name: "dp1", rank: 1)]))
            let detail = try await site.admin.request(ShowDistributionPoint(name: "dp2"))
            #expect(detail.point.pullSources == [PullSource(name: "dp1", rank: 1)])
            #expect(detail.point.rateLimit == "pulse:64:1", "the rate limit is kept while it pulls")
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp2"], redistribute: false))
            #expect(try await eventually { try await site.state("office", "dp2") == .installed })
            let bytes = try site.versionBytes(versionID)
            #expect(try site.counter("dp1", "ferry_dp_served_chunk_bytes_total") == bytes)

            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp2"], redistribute: true))
            #expect(try await eventually { try site.counter("dp1", "ferry_dp_served_chunk_bytes_total") == 2 * bytes })
            #expect(try await eventually { try await site.state("office", "dp2") == .installed })

            // A standard DP again: the site pushes to it, paced by the saved rate limit.
            let standard = try await site.admin.request(SetDistributionPoint(name: "dp2", pullSources: []))
            #expect(standard.point.pullSources == [])
            #expect(standard.point.rateLimit == "pulse:64:1")
            let second = try await site.content("tools", seed: 5)
            _ = try await site.admin.request(Distribute(name: "tools", distributionPoints: ["dp2"], redistribute: false))
            #expect(try await eventually { try await site.reason("tools", "dp2")?.contains("rate-limited: 64 KiB every 1 s") == true })
            #expect(try await eventually {
                site.site.clock.advance(by: .seconds(1))
                return try await site.state("tools", "dp2") == .installed
            })
            #expect(try site.counter("dp2", "ferry_dp_received_chunk_bytes_total") == site.versionBytes(second))
        }
    }

    @Test func P2_P5_pullConfigurationsTheSeedForbidsAreRefusedWithTheReasonAndChangeNothing() async throws {
        try await PullSite.run(points: 3) { site in
            _ = try await site.admin.request(SetDistributionPoint(name: "dp2", pullSources: [PullSource(name: "dp1", rank: 1)]))
            _ = try await site.admin.request(SetDistributionPoint(name: "dp3", pullSources: [PullSource(name: "dp2", rank: 1)]))
            func refusal(_ request: SetDistributionPoint) async -> String {
                do {
                    _ = try await site.admin.request(request)
                    return "accepted"
                } catch {
                    return "\(error)"
                }
            }
            #expect(await refusal(SetDistributionPoint(name: "dp1", pullSources: [PullSource(name: "dp3", rank: 1)]))
                .contains("chain that loops: dp1 → dp3 → dp2 → dp1"))
            #expect(await refusal(SetDistributionPoint(name: "dp2", pullSources: [PullSource(name: "dp2", rank: 1)])).contains("its own source"))
            #expect(await refusal(SetDistributionPoint(name: "dp2", pullSources: [PullSource(name: "dp9", rank: 1)]))
                .contains("no distribution point named 'dp9'"))
            #expect(await refusal(SetDistributionPoint(name: "dp2", pullSources: [PullSource(name: "dp1", rank: 0)])).contains("ranks are 1-1000"))
            _ = try await site.admin.request(SetDistributionPoint(name: "dp1", onSiteServer: true))
            #expect(await refusal(SetDistributionPoint(name: "dp1", pullSources: [PullSource(name: "dp3", rank: 1)])).contains("on the site server"))
            #expect(await refusal(SetDistributionPoint(name: "dp2", onSiteServer: true)).contains("is a pull DP"))
            #expect(await refusal(SetDistributionPoint(name: "dp2", pullSources: [PullSource(name: "dp1", rank: 1), PullSource(name: "dp1", rank: 2)]))
                .contains("named twice"))
            // A source of a pull DP cannot be removed from under it.
            do {
                _ = try await site.admin.request(RemoveDistributionPoint(name: "dp2"))
                Issue.record("removing dp2 was accepted")
            } catch {
                #expect("\(error)".contains("is a source of pull DP(s) dp3"))
            }
            let points = try await site.admin.request(ListDistributionPoints()).points
            #expect(points.first { $0.name == "dp1" }?.pullSources ?? [] == [])
            #expect(points.first { $0.name == "dp2" }?.pullSources == [PullSource(name: "dp1", rank: 1)])
            #expect(points.first { $0.name == "dp3" }?.pullSources == [PullSource(name: "dp2", rank: 1)])
        }
    }
}

/// A site with its MP and `points` DPs in-process, every DP able to pull; the PTM on UTC.
struct PullSite {
    let site: InProcessSite
    let admin: BusClient
    let points: [String: PullDP]
    let transferManager: PackageTransferManager
    let managementPoint: ManagementPoint

    static func run(points count: Int = 2, managementPointRelays: Bool = true, _ body: (PullSite) async throws -> Void) async throws {
        let site = try InProcessSite()
        let admin = site.client(to: "site")
        do {
            var configured: [(name: String, bus: String, http: String)] = []
            var started: [String: PullDP] = [:]
            for index in 1...count {
                let name = "dp\(index)"
                let point = try await site.startDistributionPoint(name, managementPoint: true)
                started[name] = point
                configured.append((name, site.endpoint(name), try #require(point.host.httpURL)))
            }
            let transferManager = try await site.startTransferManager(extra: "timeZone: UTC\n")
            let managementPoint = try await site.startManagementPoint(relays: managementPointRelays)
            _ = try await site.startDistributionManager(points: configured, managementPoint: true)
            try await body(PullSite(site: site, admin: admin, points: started, transferManager: transferManager, managementPoint: managementPoint))
        } catch {
            admin.close()
            await site.stop()
            throw error
        }
        admin.close()
        await site.stop()
    }

    /// A content of three files of distinct bytes per seed; returns its version id.
    func content(_ name: String, seed: UInt64) async throws -> String {
        let source = try site.source(name, files: (0..<3).map { ("file\($0).bin", 60_000 + $0) }, seed: seed)
        return try await admin.request(CreateContent(name: name, type: .package, priority: .medium, sourcePath: source.path)).version.versionID
    }

    func httpURL(_ point: String) throws -> String { try #require(points[point]?.host.httpURL) }

    /// Waits until the MP knows the site's DPs as they are now (pull sources included).
    func waitForSnapshotAtTheMP() async throws {
        let expected = try await admin.request(ListDistributionPoints()).points.filter { !($0.pullSources ?? []).isEmpty }.map(\.name)
        _ = try await eventually {
            let snapshot = try await managementPoint.database.read { db in try Data.fetchOne(db, sql: "SELECT snapshot FROM siteSnapshot WHERE id = 1") }
            guard let snapshot, let decoded = try? EnvelopeCodec.value(SiteSnapshot.self, from: snapshot) else { return false }
            return Set(decoded.distributionPoints.filter { !($0.pullSources ?? []).isEmpty }.map(\.name)) == Set(expected)
        }
    }

    func target(_ content: String, _ point: String) async throws -> DistributionTargetStatus? {
        try await admin.request(DistributionStatusQuery(name: content)).targets.first { $0.distributionPoint == point }
    }

    func state(_ content: String, _ point: String) async throws -> DistributionState? { try await target(content, point)?.state }
    func reason(_ content: String, _ point: String) async throws -> String? { try await target(content, point)?.reason }

    /// The phase of the PTM's newest pull job.
    func pullPhase() async throws -> String? {
        try await transferManager.database.read { db in
            try String.fetchOne(db, sql: "SELECT phase FROM pullJob ORDER BY createdAt DESC, rowid DESC LIMIT 1")
        }
    }

    private func library() throws -> ChunkStore { try ChunkStore(root: site.folder.appendingPathComponent("site/library", isDirectory: true)) }
    private func store(_ point: String) throws -> ChunkStore { try ChunkStore(root: site.folder.appendingPathComponent("\(point)/store", isDirectory: true)) }

    /// How many of the version's chunks the DP's own store holds intact.
    func chunksAt(_ point: String, of versionID: String) throws -> Int {
        let store = try store(point)
        return try library().manifest(versionID).uniqueChunks.filter { store.contains($0.hash) && store.isIntact($0.hash) }.count
    }

    func chunkCount(_ versionID: String) throws -> Int { try library().manifest(versionID).uniqueChunks.count }
    func installedAt(_ point: String, _ versionID: String) throws -> Bool { try store(point).hasManifest(versionID) }

    func versionBytes(_ versionID: String) throws -> Int64 {
        try library().manifest(versionID).uniqueChunks.reduce(0) { $0 + Int64($1.size) }
    }

    /// One of the DP's own counters.
    func counter(_ point: String, _ name: String) throws -> Int64 {
        let service = try #require(points[point])
        let line = service.host.metrics.render().split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Int64($0.split(separator: " ").last ?? "") } ?? 0
    }
}
