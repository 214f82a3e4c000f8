import Bus
import Clocks
import ContentStore
import DistributionManager
import Foundation
import Messages
import PackageTransferManager
import PullDP
import Testing

// Issue 16: schedules, rate limits, priorities, limits and DP administration, through the
// real site, PTM and DPs built in-process on one manual clock. Bytes are counted at the DPs.
@Suite("Transfer policies end to end")
struct TransferPolicyTests {
    @Test func T3_aClosedWindowHoldsADistributionUntilTheScheduleOpensIt() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            _ = try await site.admin.request(SetDistributionPoint(name: "dp1", schedule: try TransferSchedule.parse(["daily all closed"])))
            let versionID = try await site.content("office", priority: .medium, seed: 1)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually { try await site.reason("office", "dp1")?.contains("window closed") == true })
            try await Task.sleep(for: .seconds(1))
            #expect(try site.chunksAt("dp1", of: versionID) == 0)

            _ = try await site.admin.request(SetDistributionPoint(name: "dp1", schedule: .alwaysOpen))
            #expect(try await eventually { try await site.state("office", "dp1") == .installed })
            #expect(try site.receivedBytes("dp1") == site.versionBytes(versionID))
        }
    }

    @Test func T3_aWindowThatOpensOnTheSiteClockReleasesTheTransfer() async throws {
        // The manual clock starts on Monday 00:00 UTC; the PTM's time zone is UTC.
        try await TransferPolicySite.run(points: 1) { site in
            _ = try await site.admin.request(SetDistributionPoint(name: "dp1", schedule: try TransferSchedule.parse(["mon 00-02 closed"])))
            let versionID = try await site.content("office", priority: .medium, seed: 2)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually { try await site.reason("office", "dp1")?.contains("Mon 02:00") == true })
            site.site.clock.advance(by: .seconds(3600))
            try await Task.sleep(for: .milliseconds(800))
            #expect(try site.chunksAt("dp1", of: versionID) == 0)
            site.site.clock.advance(by: .seconds(3600))
            #expect(try await eventually { try await site.state("office", "dp1") == .installed })
        }
    }

    @Test func T3_pulseModeSendsOneBlockPerPulse() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            // 150 KB in 64 KB pulses: three blocks of at most 64 KB, one per pulse, none without the clock.
            _ = try await site.admin.request(SetDistributionPoint(name: "dp1", rateLimit: .pulse(blockKilobytes: 64, delaySeconds: 1)))
            let versionID = try await site.content("office", priority: .medium, seed: 3)
            let total = try site.versionBytes(versionID)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually { try site.receivedBytes("dp1") > 0 })
            var received = try site.receivedBytes("dp1")
            var blocks = [received]
            while received < total, blocks.count < 10 {
                _ = await site.site.clock.waitForSleepers()
                try await Task.sleep(for: .milliseconds(400))
                #expect(try site.receivedBytes("dp1") == received, "no block before the pulse ends")
                site.site.clock.advance(by: .seconds(1))
                let previous = received
                #expect(try await eventually { try site.receivedBytes("dp1") > previous })
                received = try site.receivedBytes("dp1")
                blocks.append(received - previous)
            }
            #expect(blocks.count == 3, "blocks: \(blocks)")
            #expect(blocks.allSatisfy { $0 <= 64 * 1024 }, "blocks: \(blocks)")
            #expect(received == total)
            #expect(try await eventually { try await site.state("office", "dp1") == .installed })
        }
    }

    @Test func C6_aHighPriorityContentQueuedLaterPreemptsALowOneWithoutResending() async throws {
        try await TransferPolicySite.run(points: 2, transferManagerExtra: "maximumConcurrentContents: 1") { site in
            _ = try await site.admin.request(SetDistributionPoint(name: "dp1", rateLimit: .pulse(blockKilobytes: 64, delaySeconds: 1)))
            let archive = try await site.content("archive", priority: .low, seed: 4)
            _ = try await site.admin.request(Distribute(name: "archive", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually { try site.chunksAt("dp1", of: archive) == 1 })

            let urgent = try await site.content("urgent", priority: .high, seed: 5)
            _ = try await site.admin.request(Distribute(name: "urgent", distributionPoints: ["dp2"], redistribute: false))
            // The archive waits for its next pulse; it stops there instead of sending.
            #expect(try await eventually { try await site.reason("urgent", "dp2")?.contains("waiting for lower-priority 'archive'") == true })
            // The DP stores a block's chunks as they arrive: count once the first block is in
            // (nothing more arrives while the archive waits for its pulse on the manual clock).
            var firstBlock = try site.chunksAt("dp1", of: archive)
            while true {
                try await Task.sleep(for: .milliseconds(300))
                let now = try site.chunksAt("dp1", of: archive)
                if now == firstBlock { break }
                firstBlock = now
            }
            let dp1 = try ChunkStore(root: site.site.folder.appendingPathComponent("dp1/store", isDirectory: true))
            let archiveChunks = try site.chunks(archive)
            let sentBefore = Set(archiveChunks.filter { dp1.contains($0.hash) }.map(\.hash))
            site.site.clock.advance(by: .seconds(1))
            #expect(try await eventually { try await site.state("urgent", "dp2") == .installed })
            #expect(try firstBlock < site.chunkSizes(archive).count)
            // The archive may resume as soon as the urgent job is done (its pulse is due): what
            // it sent after the first block must have arrived after the urgent content's last chunk.
            let dp2 = try ChunkStore(root: site.site.folder.appendingPathComponent("dp2/store", isDirectory: true))
            func modified(_ store: ChunkStore, _ hash: String) throws -> Date {
                try #require(try FileManager.default.attributesOfItem(atPath: store.chunkURL(hash).path)[.modificationDate] as? Date)
            }
            let urgentDone = try site.chunks(urgent).map { try modified(dp2, $0.hash) }.max() ?? .distantPast
            for chunk in archiveChunks where !sentBefore.contains(chunk.hash) && dp1.contains(chunk.hash) {
                #expect(try modified(dp1, chunk.hash) >= urgentDone, "the preempted job stopped at its block boundary")
            }
            #expect(try site.chunksAt("dp2", of: urgent) == site.chunkSizes(urgent).count)

            // The archive resumes and finishes; no chunk crossed the WAN twice.
            for _ in 0..<6 where try await site.state("archive", "dp1") != .installed {
                _ = await site.site.clock.waitForSleepers(1, timeout: .seconds(3))
                site.site.clock.advance(by: .seconds(1))
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(try await eventually { try await site.state("archive", "dp1") == .installed })
            #expect(try site.receivedBytes("dp1") == site.versionBytes(archive))
        }
    }

    @Test func T4_neverMoreThanThreeContentsAndFiveDPsPerContentInFlightCountedAtTheDPs() async throws {
        try await TransferPolicySite.run(points: 6) { site in
            var versions: [String: String] = [:]
            for index in 0..<4 {
                let name = "content\(index)"
                versions[name] = try await site.content(name, priority: .medium, seed: UInt64(10 + index))
            }
            for name in site.pointNames {
                _ = try await site.admin.request(SetDistributionPoint(name: name, rateLimit: .pulse(blockKilobytes: 64, delaySeconds: 1)))
            }
            for name in versions.keys.sorted() {
                _ = try await site.admin.request(Distribute(name: name, distributionPoints: site.pointNames, redistribute: false))
            }
            var mostContents = 0, mostPointsForOneContent = 0
            for _ in 0..<80 {
                // In flight at a DP: some of the version's chunks there, its manifest not yet.
                var inFlight: [String: Int] = [:]
                var installed = 0
                for (content, versionID) in versions {
                    for point in site.pointNames {
                        if try site.installedAt(point, versionID) { installed += 1 } else if try site.chunksAt(point, of: versionID) > 0 {
                            inFlight[content, default: 0] += 1
                        }
                    }
                }
                mostContents = max(mostContents, inFlight.count)
                mostPointsForOneContent = max(mostPointsForOneContent, inFlight.values.max() ?? 0)
                #expect(inFlight.count <= 3, "contents in flight: \(inFlight)")
                #expect((inFlight.values.max() ?? 0) <= 5, "DPs per content: \(inFlight)")
                if installed == versions.count * site.pointNames.count { break }
                _ = await site.site.clock.waitForSleepers(1, timeout: .seconds(2))
                try await Task.sleep(for: .milliseconds(150))
                site.site.clock.advance(by: .seconds(1))
            }
            for (content, _) in versions {
                for point in site.pointNames { #expect(try await site.state(content, point) == .installed, "\(content) on \(point)") }
            }
            // The limits were reached, not merely respected by a queue that ran one job at a time.
            #expect(mostContents >= 2)
            #expect(mostPointsForOneContent >= 2)
        }
    }

    @Test func C3_anUpdateIsQueuedToEveryHoldingDPAndMovesOnlyNewChunks() async throws {
        try await TransferPolicySite.run(points: 2) { site in
            _ = try await site.admin.request(CreateDistributionPointGroup(name: "branches", distributionPoints: ["dp2"]))
            let first = try await site.content("office", priority: .medium, seed: 20)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false,
                                                        distributionPointGroups: ["branches"]))
            #expect(try await eventually {
                let first = try await site.state("office", "dp1"), second = try await site.state("office", "dp2")
                return first == .installed && second == .installed
            })
            let before = try site.receivedBytes("dp1")

            // One file changes; the other two stay.
            try Data(repeating: 7, count: 40_000).write(to: site.sourceFolder("office").appendingPathComponent("file0.bin"))
            let update = try await site.admin.request(UpdateContent(name: "office", sourcePath: nil))
            #expect(update.isNewVersion)
            #expect(update.queuedDistributionPoints?.sorted() == ["dp1", "dp2"])
            let second = update.version.versionID
            #expect(second != first)
            #expect(try await eventually {
                let status = try await site.admin.request(DistributionStatusQuery(name: "office"))
                return status.targets.count == 2 && status.targets.allSatisfy { $0.versionID == second && $0.state == .installed }
            })
            let moved = try site.receivedBytes("dp1") - before
            #expect(moved == 40_000, "only the changed file's chunk travels, got \(moved) bytes")
        }
    }

    @Test func T3_DPsAddedAndRemovedAtRunTimeWithoutARestart() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            let extra = try await site.site.startDistributionPoint("dp9")
            let url = try #require(extra.host.httpURL)
            let added = try await site.admin.request(AddDistributionPoint(name: "dp9", busEndpoint: site.site.endpoint("dp9"), httpURL: url,
                                                                          publicKey: nil))
            #expect(added.point.priority == DistributionPointPolicy.defaultPriority)
            #expect(try await site.admin.request(ListDistributionPoints()).points.map(\.name) == ["dp1", "dp9"])
            let versionID = try await site.content("office", priority: .medium, seed: 30, fileSize: 400_000)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp9"], redistribute: false))
            #expect(try await eventually { try await site.state("office", "dp9") == .installed })
            #expect(try site.installedAt("dp9", versionID))
            // SPEC C7: the priority is measured from the transfer (seconds per GiB pushed).
            let measured = try await site.admin.request(ShowDistributionPoint(name: "dp9"))
            #expect(measured.lastTransferBytes == (try site.versionBytes(versionID)))
            #expect(measured.point.priority == TransferPolicySite.expectedPriority(measured))
            #expect(measured.point.priorityIsManual == false)

            let removed = try await site.admin.request(RemoveDistributionPoint(name: "dp9"))
            #expect(removed.forgottenVersions == 1)
            #expect(removed.filesOnDistributionPoint.contains("left in place"))
            #expect(try await site.admin.request(ListDistributionPoints()).points.map(\.name) == ["dp1"])
            #expect(try await site.admin.request(DistributionStatusQuery(name: "office")).targets.isEmpty)
            #expect(try site.installedAt("dp9", versionID), "the DP's files stay")
            await #expect(throws: BusError.self) { _ = try await site.admin.request(ShowDistributionPoint(name: "dp9")) }
            await #expect(throws: BusError.self) {
                _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp9"], redistribute: false))
            }
        }
    }

    @Test func T3_badSchedulesRatesPrioritiesAndNamesAreRefusedAndChangeNothing() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            let before = try await site.admin.request(ShowDistributionPoint(name: "dp1"))
            let bad: [(SetDistributionPoint, String)] = [
                (SetDistributionPoint(name: "dp1", schedule: TransferSchedule(cells: [.closed])), "168 hourly cells"),
                (SetDistributionPoint(name: "dp1", rateLimit: .pulse(blockKilobytes: 0, delaySeconds: 1)), "malformed"),
                (SetDistributionPoint(name: "dp1", rateLimit: .hourly(percentages: [50])), "malformed"),
                (SetDistributionPoint(name: "dp1", priority: 0), "1 to 1000000"),
                (SetDistributionPoint(name: "dp1", priority: 5, automaticPriority: true), "not both"),
                (SetDistributionPoint(name: "dp1", rateLimit: .pulse(blockKilobytes: 64, delaySeconds: 1), onSiteServer: true), "site server"),
                (SetDistributionPoint(name: "nope", priority: 5), "no distribution point named 'nope'"),
                (SetDistributionPoint(name: "dp1"), "nothing to change"),
            ]
            for (request, expected) in bad {
                let error = await #expect(throws: BusError.self) { _ = try await site.admin.request(request) }
                #expect(error?.description.contains(expected) == true, "\(error.map { "\($0)" } ?? "-") lacks '\(expected)'")
            }
            let badAdds = [
                (AddDistributionPoint(name: "dp 2", busEndpoint: "tcp://127.0.0.1:1", httpURL: "http://127.0.0.1:2", publicKey: nil), "invalid DP name"),
                (AddDistributionPoint(name: "dp2", busEndpoint: "udp://x", httpURL: "http://127.0.0.1:2", publicKey: nil), "busEndpoint"),
                (AddDistributionPoint(name: "dp2", busEndpoint: "tcp://127.0.0.1:1", httpURL: "ftp://x", publicKey: nil), "httpURL"),
                (AddDistributionPoint(name: "dp2", busEndpoint: "tcp://127.0.0.1:1", httpURL: "http://127.0.0.1:2", publicKey: "short"), "40 Z85"),
                (AddDistributionPoint(name: "dp1", busEndpoint: "tcp://127.0.0.1:1", httpURL: "http://127.0.0.1:2", publicKey: nil), "already exists"),
            ]
            for (request, expected) in badAdds {
                let error = await #expect(throws: BusError.self) { _ = try await site.admin.request(request) }
                #expect(error?.description.contains(expected) == true, "\(error.map { "\($0)" } ?? "-") lacks '\(expected)'")
            }
            let after = try await site.admin.request(ShowDistributionPoint(name: "dp1"))
            #expect(after.point == before.point && after.queue == before.queue)
            #expect(try await site.admin.request(ListDistributionPoints()).points.map(\.name) == ["dp1"])
            await #expect(throws: BusError.self) { _ = try await site.admin.request(SetContent(name: "office", distributeOnDemand: nil)) }
        }
    }

    @Test func C7_aPrioritySetByHandStaysUntilAutoMeasuresItAgain() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            let manual = try await site.admin.request(SetDistributionPoint(name: "dp1", priority: 500))
            #expect(manual.point.priority == 500 && manual.point.priorityIsManual == true)
            _ = try await site.content("office", priority: .medium, seed: 40, fileSize: 400_000)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually { try await site.state("office", "dp1") == .installed })
            let afterTransfer = try await site.admin.request(ShowDistributionPoint(name: "dp1"))
            #expect(afterTransfer.point.priority == 500, "a manual priority is not measured over")
            let versionID = try await site.currentVersion("office")
            #expect(afterTransfer.lastTransferBytes == (try site.versionBytes(versionID)))
            let automatic = try await site.admin.request(SetDistributionPoint(name: "dp1", automaticPriority: true))
            #expect(automatic.point.priority == TransferPolicySite.expectedPriority(afterTransfer))
            #expect(automatic.point.priorityIsManual == false)
        }
    }

    @Test func C6_aContentsPriorityChangeReRanksItsQueuedJobs() async throws {
        try await TransferPolicySite.run(points: 1, transferManagerExtra: "maximumConcurrentContents: 1") { site in
            _ = try await site.admin.request(SetDistributionPoint(name: "dp1", schedule: try TransferSchedule.parse(["daily all closed"])))
            _ = try await site.content("first", priority: .medium, seed: 50)
            _ = try await site.content("second", priority: .medium, seed: 51)
            _ = try await site.admin.request(Distribute(name: "first", distributionPoints: ["dp1"], redistribute: false))
            _ = try await site.admin.request(Distribute(name: "second", distributionPoints: ["dp1"], redistribute: false))
            let raised = try await site.admin.request(SetContent(name: "second", distributeOnDemand: nil, priority: .high))
            #expect(raised.content.priority == .high)
            // Only one content at a time, the window opening: the raised one goes first.
            _ = try await site.admin.request(SetDistributionPoint(name: "dp1", rateLimit: .pulse(blockKilobytes: 64, delaySeconds: 1)))
            try await Task.sleep(for: .milliseconds(500))
            _ = try await site.admin.request(SetDistributionPoint(name: "dp1", schedule: .alwaysOpen))
            #expect(try await eventually { try site.chunksAt("dp1", of: try await site.currentVersion("second")) == 1 })
            #expect(try site.chunksAt("dp1", of: try await site.currentVersion("first")) == 0)
        }
    }
}

/// A site with `points` DPs, its PTM on UTC, an admin connection, and counting at the DPs.
struct TransferPolicySite {
    let site: InProcessSite
    let admin: BusClient
    let pointNames: [String]
    let points: [String: PullDP]

    static func run(points: Int, transferManagerExtra: String = "", _ body: (TransferPolicySite) async throws -> Void) async throws {
        let site = try InProcessSite()
        let admin = site.client(to: "site")
        do {
            var configured: [(name: String, bus: String, http: String)] = []
            var started: [String: PullDP] = [:]
            for index in 1...points {
                let name = "dp\(index)"
                let point = try await site.startDistributionPoint(name)
                started[name] = point
                configured.append((name, site.endpoint(name), try #require(point.host.httpURL)))
            }
            _ = try await site.startTransferManager(extra: "timeZone: UTC\n" + transferManagerExtra)
            _ = try await site.startDistributionManager(points: configured)
            try await body(TransferPolicySite(site: site, admin: admin, pointNames: configured.map(\.name), points: started))
        } catch {
            admin.close()
            await site.stop()
            throw error
        }
        admin.close()
        await site.stop()
    }

    /// A content of three files (three chunks) of distinct bytes per seed; returns its version id.
    func content(_ name: String, priority: Priority, seed: UInt64, fileSize: Int = 50_000) async throws -> String {
        let files = (0..<3).map { ("file\($0).bin", fileSize + Int(seed) * 16 + $0) }
        let source = try site.source(name, files: files, seed: seed)
        return try await admin.request(CreateContent(name: name, type: .package, priority: priority, sourcePath: source.path)).version.versionID
    }

    /// Seconds per GiB of the last transfer, rounded up, at least 1.
    static func expectedPriority(_ detail: DistributionPointDetail) -> Int? {
        guard let seconds = detail.lastTransferSeconds, let bytes = detail.lastTransferBytes else { return nil }
        return max(1, Int((seconds * Double(1 << 30) / Double(bytes)).rounded(.up)))
    }

    func sourceFolder(_ name: String) -> URL { site.folder.appendingPathComponent("sources/\(name)", isDirectory: true) }

    func currentVersion(_ name: String) async throws -> String {
        try await admin.request(ShowContent(name: name)).content.currentVersionID
    }

    func target(_ content: String, _ point: String) async throws -> DistributionTargetStatus? {
        try await admin.request(DistributionStatusQuery(name: content)).targets.first { $0.distributionPoint == point }
    }

    func state(_ content: String, _ point: String) async throws -> DistributionState? { try await target(content, point)?.state }
    func reason(_ content: String, _ point: String) async throws -> String? { try await target(content, point)?.reason }

    private func library() throws -> ChunkStore { try ChunkStore(root: site.folder.appendingPathComponent("site/library", isDirectory: true)) }
    private func store(_ point: String) throws -> ChunkStore { try ChunkStore(root: site.folder.appendingPathComponent("\(point)/store", isDirectory: true)) }

    /// How many of the version's chunks the DP's own store holds.
    func chunksAt(_ point: String, of versionID: String) throws -> Int {
        let store = try store(point)
        return try library().manifest(versionID).uniqueChunks.filter { store.contains($0.hash) }.count
    }

    func installedAt(_ point: String, _ versionID: String) throws -> Bool { try store(point).hasManifest(versionID) }

    func chunkSizes(_ versionID: String) throws -> [Int] { try library().manifest(versionID).uniqueChunks.map(\.size) }

    func versionBytes(_ versionID: String) throws -> Int64 {
        try library().manifest(versionID).uniqueChunks.reduce(0) { $0 + Int64($1.size) }
    }

    /// Chunk bytes the DP received over HTTP (its own counter): resends would show here.
    func receivedBytes(_ point: String) throws -> Int64 {
        let service = try #require(points[point])
        let line = service.host.metrics.render().split(separator: "\n").first { $0.hasPrefix("ferry_dp_received_chunk_bytes_total ") }
        return line.flatMap { Int64($0.split(separator: " ").last ?? "") } ?? 0
    }
}
