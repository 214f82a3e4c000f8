import Bus
import ContentStore
import Foundation
import HTTPTransfer
import Messages
import ServiceKit
import Testing

/// SPEC C11 through the real DM and DP in-process: a DP's library moves to another folder
/// while a client downloads from it.
@Suite("Moving a DP's content library")
struct LibraryMoveTests {
    @Test func C11_theLibraryMovesWhileAClientDownloadsAndTheConfigurationNamesTheNewFolder() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            let version = try await site.content("office", priority: .high, seed: 70, fileSize: 600_000)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually(.seconds(60)) { try await site.state("office", "dp1") == .installed })
            let old = site.site.folder.appendingPathComponent("dp1/store", isDirectory: true)
            let target = site.site.folder.appendingPathComponent("disk2/library", isDirectory: true)
            let chunks = try site.chunks(version)

            // A client reads the version's chunks over and over meanwhile; every read must be whole and right.
            let signer = try SiteTokenSigner(privateKeyFile: site.site.signingKey)
            let token = try signer.sign(SiteTokenClaims(scope: "download", subject: "127.0.0.1", audience: ["dp1"], versionID: version,
                                                        issuedAt: site.site.clock.now, expiresAt: site.site.clock.now.addingTimeInterval(3600)))
            let base = try #require(site.points["dp1"]?.host.httpURL)
            let reader = Task { () -> (good: Int, bad: [String]) in
                var good = 0
                var bad: [String] = []
                while !Task.isCancelled {
                    for chunk in chunks {
                        if Task.isCancelled { break }
                        let response = try? await HTTPClient.shared.get(base + "/content/\(version)/chunks/\(chunk.hash)",
                                                                        options: HTTPRequestOptions(headers: ["Authorization": "Bearer \(token)"]))
                        if let response, response.status == 200, ContentHash.sha256Hex(response.body) == chunk.hash { good += 1 }
                        else if !Task.isCancelled { bad.append("\(response?.status ?? 0)") }
                    }
                    try? await Task.sleep(for: .milliseconds(5))
                }
                return (good, bad)
            }
            try await Task.sleep(for: .milliseconds(100))
            let refused = await #expect(throws: BusError.self) {
                _ = try await site.admin.request(MoveLibrary(distributionPoint: "dp1", folder: old.appendingPathComponent("inner").path))
            }
            #expect("\(refused.map { "\($0)" } ?? "")".contains("inside the current library"))
            let started = try await site.admin.request(MoveLibrary(distributionPoint: "dp1", folder: target.path))
            #expect(started.phase == .copying || started.phase == .done)
            #expect(try await eventually(.seconds(60)) {
                try await site.admin.request(MoveLibrary(distributionPoint: "dp1", folder: nil)).phase == .done
            })
            try await Task.sleep(for: .milliseconds(200))
            reader.cancel()
            let reads = await reader.value
            #expect(reads.bad.isEmpty && reads.good > 0, "\(reads.good) good reads, failures: \(reads.bad.prefix(5))")

            let status = try await site.admin.request(MoveLibrary(distributionPoint: "dp1", folder: nil))
            #expect(status.libraryFolder == target.path && status.copiedChunks == chunks.count && status.corruptChunks == 0)
            #expect(!FileManager.default.fileExists(atPath: old.path), "the old folder is gone")
            let moved = try ChunkStore(root: target)
            #expect(try moved.verify(moved.manifest(version)).isComplete)
            let configuration = try String(contentsOf: site.site.folder.appendingPathComponent("dp1.yaml"), encoding: .utf8)
            #expect(configuration.contains("libraryFolder: '\(target.path)'") && configuration.contains("sitePublicKeyFile:"))

            // The next version lands in the new folder.
            try Data(repeating: 3, count: 30_000).write(to: site.sourceFolder("office").appendingPathComponent("file1.bin"))
            let second = try await site.admin.request(UpdateContent(name: "office", sourcePath: nil)).version.versionID
            #expect(try await eventually(.seconds(60)) {
                try await site.target("office", "dp1").map { $0.versionID == second && $0.state == .installed } == true
            })
            #expect(moved.hasManifest(second))
            // A second move while none runs, to a folder that is not empty: refused.
            let full = site.site.folder.appendingPathComponent("full", isDirectory: true)
            try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: full.appendingPathComponent("x"))
            await #expect(throws: BusError.self) { _ = try await site.admin.request(MoveLibrary(distributionPoint: "dp1", folder: full.path)) }
        }
    }
}
