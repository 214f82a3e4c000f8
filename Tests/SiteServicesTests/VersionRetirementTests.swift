import Bus
import ContentStore
import Foundation
import Messages
import Testing

/// SPEC C3's version rule end to end: real DM, PTM and DPs in-process (bus, HTTP, SQLite),
/// the stores read on disk.
@Suite("Five increments, then a full version that retires the set")
struct VersionRetirementTests {
    func library(_ site: TransferPolicySite) throws -> ChunkStore {
        try ChunkStore(root: site.site.folder.appendingPathComponent("site/library", isDirectory: true))
    }

    func store(_ site: TransferPolicySite, _ point: String) throws -> ChunkStore {
        try ChunkStore(root: site.site.folder.appendingPathComponent("\(point)/store", isDirectory: true))
    }

    func storedChunks(_ store: ChunkStore) throws -> Set<String> {
        var hashes = Set<String>()
        try store.forEachStoredChunk { hash, _ in hashes.insert(hash) }
        return hashes
    }

    /// Changes one of the content's three files to new seeded bytes and waits until every DP has the new version.
    func update(_ site: TransferPolicySite, round: Int) async throws -> VersionSummary {
        let folder = site.sourceFolder("office")
        let bytes = (0..<40_000).map { UInt8(truncatingIfNeeded: ($0 &* 31) ^ (round &* 7919) ^ ($0 >> 5)) }
        try Data(bytes).write(to: folder.appendingPathComponent("file\(round % 3).bin"))
        let version = try await site.admin.request(UpdateContent(name: "office", sourcePath: nil)).version
        for point in site.pointNames {
            #expect(try await eventually(.seconds(60)) {
                try await site.target("office", point).map { $0.versionID == version.versionID && $0.state == .installed } == true
            }, "round \(round): \(point) did not install version \(version.number)")
        }
        return version
    }

    @Test func C3_sixUpdatesInARowMakeAFullVersionAndTheOlderSetGoesFromSiteAndDPs() async throws {
        try await TransferPolicySite.run(points: 2) { site in
            let first = try await site.content("office", priority: .medium, seed: 50)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1", "dp2"], redistribute: false))
            #expect(try await eventually(.seconds(60)) {
                let first = try await site.state("office", "dp1"), second = try await site.state("office", "dp2")
                return first == .installed && second == .installed
            })
            var versions = [first]
            for round in 1...5 { versions.append(try await update(site, round: round).versionID) }
            let increments = try await site.admin.request(ShowContent(name: "office")).versions
            #expect(increments.map(\.chainPosition) == [0, 1, 2, 3, 4, 5])
            #expect(try versions.allSatisfy { try library(site).hasManifest($0) && store(site, "dp1").hasManifest($0) },
                    "five increments keep the whole set")

            let full = try await update(site, round: 6)
            #expect(full.chainPosition == 0 && full.number == 7, "the sixth change is a full version")
            #expect(try await eventually(.seconds(30)) {
                try await site.admin.request(ShowContent(name: "office")).versions.map(\.number) == [7]
            }, "versions 1 to 6 are retired once both DPs hold version 7")
            let keep = Set(try library(site).manifest(full.versionID).uniqueChunks.map(\.hash))
            #expect(try await eventually(.seconds(30)) { try storedChunks(library(site)) == keep },
                    "the site library keeps exactly the chunks of version 7")
            #expect(try library(site).manifestIDs() == [full.versionID])
            for point in site.pointNames {
                #expect(try await eventually(.seconds(30)) { try storedChunks(store(site, point)) == keep && store(site, point).manifestIDs() == [full.versionID] },
                        "\(point) keeps only version 7 and its chunks")
            }
            let verified = try await site.site.client(to: "dp1", as: "ptm").request(VerifyVersion(contentName: "office", versionID: full.versionID))
            #expect(verified.complete)

            // The content still installs: a redistribution copies every chunk again from the collected library.
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: true))
            #expect(try await eventually(.seconds(60)) {
                try await site.target("office", "dp1").map { $0.state == .installed && $0.reason == nil } == true
            })
        }
    }

    @Test func C3_theOlderSetStaysWhileOneTargetLacksTheFullVersion() async throws {
        try await TransferPolicySite.run(points: 2) { site in
            let first = try await site.content("office", priority: .medium, seed: 51)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1", "dp2"], redistribute: false))
            #expect(try await eventually(.seconds(60)) {
                let first = try await site.state("office", "dp1"), second = try await site.state("office", "dp2")
                return first == .installed && second == .installed
            })
            for round in 1...5 { _ = try await update(site, round: round) }
            _ = try await site.admin.request(SetDistributionPoint(name: "dp2", schedule: try TransferSchedule.parse(["daily all closed"])))
            let folder = site.sourceFolder("office")
            try Data(repeating: 0x5A, count: 30_000).write(to: folder.appendingPathComponent("file0.bin"))
            let full = try await site.admin.request(UpdateContent(name: "office", sourcePath: nil)).version
            #expect(full.chainPosition == 0)
            #expect(try await eventually(.seconds(60)) { try await site.state("office", "dp1") == .installed })
            try await Task.sleep(for: .seconds(1))
            #expect(try await site.admin.request(ShowContent(name: "office")).versions.count == 7, "dp2 still holds only version 6")
            #expect(try library(site).hasManifest(first) && store(site, "dp1").hasManifest(first))

            _ = try await site.admin.request(SetDistributionPoint(name: "dp2", schedule: .alwaysOpen))
            #expect(try await eventually(.seconds(60)) {
                try await site.admin.request(ShowContent(name: "office")).versions.map(\.number) == [7]
            })
            #expect(try await eventually(.seconds(30)) { try !library(site).hasManifest(first) && !store(site, "dp2").hasManifest(first) })
        }
    }

    @Test func C3_aDPKeepsChunksATransferInFlightNamedUntilTheProtectionEnds() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            let dp = try store(site, "dp1")
            let stray = try dp.write(Data("a chunk of a version still on its way".utf8)).hash
            let ptm = site.site.client(to: "dp1", as: "ptm")
            defer { ptm.close() }
            _ = try await ptm.request(MissingChunksQuery(hashes: [stray]))
            let kept = try await ptm.request(RetireVersions(contentName: "office", versionIDs: []))
            #expect(kept.keptInFlight == 1 && kept.removedChunks == 0 && dp.contains(stray))

            site.site.clock.advance(by: .seconds(7 * 24 * 3600 + 1))
            let collected = try await ptm.request(RetireVersions(contentName: "office", versionIDs: []))
            #expect(collected.removedChunks == 1 && !dp.contains(stray))

            let bad = await #expect(throws: BusError.self) { _ = try await ptm.request(RetireVersions(contentName: "x", versionIDs: ["../etc"])) }
            #expect("\(bad.map { "\($0)" } ?? "")".contains("not a version id"))
        }
    }
}
