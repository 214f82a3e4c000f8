import Bus
import ContentStore
import Foundation
import HTTPTransfer
import Messages
import PullDP
import ServiceKit
import Testing

/// SPEC C9 and P4: prestaged content through the real DM, PTM and DPs in-process (bus,
/// HTTP, SQLite), on a manual clock; bytes counted at the DPs.
@Suite("Prestaged content")
struct PrestagedContentTests {
    func library(_ site: TransferPolicySite) throws -> ChunkStore {
        try ChunkStore(root: site.site.folder.appendingPathComponent("site/library", isDirectory: true))
    }

    /// A prestaged file of `versionID` written from the site library, as `ferry content export` writes it.
    func export(_ site: TransferPolicySite, _ content: String, _ versionID: String) async throws -> URL {
        let ticket = try await site.admin.request(ExportContent(name: content))
        #expect(ticket.version.versionID == versionID && !ticket.fromDistributionPoint)
        let file = site.site.folder.appendingPathComponent("\(content)-\(UUID().uuidString.prefix(6)).ferrypkg")
        try PrestagedFileWriter.export(versionID, from: library(site), to: file) { manifest in
            PrestagedHeader(content: content, type: ticket.content.type.rawValue, priority: ticket.content.priority.rawValue,
                            version: ticket.version.number, chainPosition: ticket.version.chainPosition, manifest: manifest,
                            exportedFrom: ticket.sourceName, exportedAt: Date())
        }
        return file
    }

    /// `ferry dp import`: a ticket, the upload, then the site records it after asking the DP.
    func upload(_ site: TransferPolicySite, _ file: Data, versionID: String, to point: String) async throws -> HTTPResponse {
        let ticket = try await site.admin.request(PrestagedImportTicketRequest(distributionPoint: point, versionID: versionID))
        return try await HTTPClient.shared.post(ticket.url, body: file, options: HTTPRequestOptions(headers: ["Authorization": "Bearer \(ticket.token)"]))
    }

    @Test func C9_aManualContentIsNeverSentToAPrestagedDPAndInstallsFromAnUploadedFile() async throws {
        try await TransferPolicySite.run(points: 2) { site in
            _ = try await site.admin.request(SetDistributionPoint(name: "dp1", prestaged: true))
            let versionID = try await site.content("office", priority: .medium, seed: 60)
            _ = try await site.admin.request(SetContent(name: "office", distributeOnDemand: nil, prestage: .manual))
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1", "dp2"], redistribute: false))
            #expect(try await eventually(.seconds(60)) { try await site.state("office", "dp2") == .installed }, "a DP not enabled ignores the mode")
            #expect(try await eventually { try await site.reason("office", "dp1")?.contains("waiting for prestaged content") == true })
            #expect(try await site.state("office", "dp1") == .waiting)
            #expect(try site.receivedBytes("dp1") == 0, "nothing crosses the network to dp1")

            let file = try await export(site, "office", versionID)
            let bytes = try Data(contentsOf: file)
            // Truncated, or with a byte flipped: refused with the reason, nothing kept at the DP.
            let truncated = try await upload(site, bytes.prefix(bytes.count - 100), versionID: versionID, to: "dp1")
            #expect(truncated.status == 422 && String(decoding: truncated.body, as: UTF8.self).contains("truncated"))
            var flipped = bytes
            flipped[flipped.count - PrestagedFile.trailerLength - 7] ^= 0x40
            let damaged = try await upload(site, flipped, versionID: versionID, to: "dp1")
            #expect(damaged.status == 422 && String(decoding: damaged.body, as: UTF8.self).contains("damaged"))
            #expect(try site.chunksAt("dp1", of: versionID) == 0 && !site.installedAt("dp1", versionID))
            // A ticket for dp2 does not open dp1.
            let other = try await site.admin.request(PrestagedImportTicketRequest(distributionPoint: "dp2", versionID: versionID))
            let wrongURL = try #require(site.points["dp1"]?.host.httpURL) + "/prestaged"
            let foreign = try await HTTPClient.shared.post(wrongURL, body: bytes, options: HTTPRequestOptions(headers: ["Authorization": "Bearer \(other.token)"]))
            #expect(foreign.status == 403)

            let accepted = try await upload(site, bytes, versionID: versionID, to: "dp1")
            #expect(accepted.status == 200, "\(String(decoding: accepted.body, as: UTF8.self))")
            let recorded = try await site.admin.request(RecordPrestagedImport(distributionPoint: "dp1", versionID: versionID))
            #expect(recorded.installed && recorded.content == "office")
            #expect(try await site.state("office", "dp1") == .installed)
            #expect(try site.receivedBytes("dp1") == 0, "the pushes counter saw nothing: the file brought it")
            #expect(try site.chunksAt("dp1", of: versionID) == site.chunkSizes(versionID).count)
        }
    }

    @Test func C9_changesOnlyWaitsForTheFirstVersionThenSendsUpdatesOverTheNetwork() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            _ = try await site.admin.request(SetDistributionPoint(name: "dp1", prestaged: true))
            let first = try await site.content("office", priority: .medium, seed: 61)
            _ = try await site.admin.request(SetContent(name: "office", distributeOnDemand: nil, prestage: .changesOnly))
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually { try await site.reason("office", "dp1")?.contains("waiting for prestaged content") == true })

            // Imported on the DP's host with its own command, while it runs; the PTM finds it at its next question.
            let file = try await export(site, "office", first)
            let configuration = try ConfigurationFile(url: site.site.folder.appendingPathComponent("dp1.yaml"), environment: [:])
            let summary = try await PullDP.importPrestaged(configuration: configuration, file: file, clock: site.site.clock)
            #expect(try summary.versionID == first && summary.storedChunks == site.chunkSizes(first).count)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await site.state("office", "dp1") == .waiting, "not asked again before the interval")
            site.site.clock.advance(by: .seconds(1201))
            #expect(try await eventually { try await site.state("office", "dp1") == .installed })
            #expect(try site.receivedBytes("dp1") == 0)

            // The next version goes over the network, only what changed.
            try Data(repeating: 7, count: 20_000).write(to: site.sourceFolder("office").appendingPathComponent("file0.bin"))
            let second = try await site.admin.request(UpdateContent(name: "office", sourcePath: nil)).version.versionID
            #expect(try await eventually(.seconds(60)) {
                try await site.target("office", "dp1").map { $0.versionID == second && $0.state == .installed } == true
            })
            #expect(try site.receivedBytes("dp1") == 20_000)
        }
    }

    @Test func P4_aPullDPEnabledForPrestagedContentPullsNothing() async throws {
        try await TransferPolicySite.run(points: 2) { site in
            _ = try await site.admin.request(SetDistributionPoint(name: "dp2", pullSources: [PullSource(name: "dp1", rank: 1)], prestaged: true))
            let versionID = try await site.content("office", priority: .medium, seed: 62)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1", "dp2"], redistribute: false))
            #expect(try await eventually(.seconds(60)) { try await site.state("office", "dp1") == .installed })
            #expect(try await eventually { try await site.reason("office", "dp2")?.contains("waiting for prestaged content") == true },
                    "even with the content's default (automatic) mode")
            #expect(try site.chunksAt("dp2", of: versionID) == 0 && site.receivedBytes("dp2") == 0)
            // On the site server there is nothing to prestage: refused, nothing changed.
            let refused = await #expect(throws: BusError.self) {
                _ = try await site.admin.request(SetDistributionPoint(name: "dp1", onSiteServer: true, prestaged: true))
            }
            #expect("\(refused.map { "\($0)" } ?? "")".contains("cannot be enabled for prestaged content"))
        }
    }

    @Test func C9_aRebuiltSiteRestoresItsLibraryFromAPrestagedFileAndDistributesIt() async throws {
        var file: URL?
        var versionID = ""
        try await TransferPolicySite.run(points: 1) { site in
            versionID = try await site.content("office", priority: .high, seed: 63)
            let exported = try await export(site, "office", versionID)
            let kept = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("restore-\(UUID().uuidString.prefix(6)).ferrypkg")
            try FileManager.default.copyItem(at: exported, to: kept)
            file = kept
        }
        let restored = try #require(file)
        defer { try? FileManager.default.removeItem(at: restored) }
        try await TransferPolicySite.run(points: 1) { site in
            let bytes = try Data(contentsOf: restored)
            let ticket = try await site.admin.request(LibraryRestoreTicketRequest(versionID: versionID))
            let options = HTTPRequestOptions(headers: ["Authorization": "Bearer \(ticket.token)"])
            // A tampered file first: refused, nothing in the library, no content.
            var changed = bytes
            changed[changed.count / 2] ^= 0x01
            let refused = try await HTTPClient.shared.post(ticket.url, body: changed, options: options)
            #expect(refused.status == 422)
            #expect(try library(site).chunkCount() == 0 && library(site).manifestIDs().isEmpty)
            #expect(try await site.admin.request(ListContents()).contents.isEmpty)

            let accepted = try await HTTPClient.shared.post(ticket.url, body: bytes, options: options)
            #expect(accepted.status == 200, "\(String(decoding: accepted.body, as: UTF8.self))")
            let content = try await site.admin.request(ShowContent(name: "office"))
            #expect(content.content.currentVersionID == versionID && content.content.priority == .high)
            // The same file again is accepted and changes nothing.
            #expect(try await HTTPClient.shared.post(ticket.url, body: bytes, options: options).status == 200)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually(.seconds(60)) { try await site.state("office", "dp1") == .installed })
            #expect(try site.chunksAt("dp1", of: versionID) == site.chunkSizes(versionID).count)
        }
    }
}
