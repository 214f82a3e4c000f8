import Clocks
import ContentStore
import ContentTransfer
import DistributionManager
import Foundation
import HTTPTransfer
import Messages
import Testing

// Issue 15 item 2: the distribution manager built in-process, as @main builds it, on a manual clock.
@Suite("DistributionManager in-process")
struct DistributionManagerTests {
    @Test func issue15_contentAndTransferTokensCarryTheServiceClocksTime() async throws {
        // SPEC C1, T2: a version's time and a transfer token's expiry come from the service clock.
        let site = try InProcessSite()
        do {
            let manager = try await site.startDistributionManager(points: [("dp1", site.endpoint("dp1"), "http://127.0.0.1:9")])
            #expect(manager.busServer.endpoint == site.endpoint("site"))
            let source = try site.source("office", files: [("setup.bin", 200_000), ("readme.txt", 1_000)])
            let admin = site.client(to: "site")
            defer { admin.close() }
            let created = try await admin.request(CreateContent(name: "office", type: .package, priority: .high, sourcePath: source.path))
            #expect(created.version.createdAt == site.clock.now)

            let transferManager = site.client(to: "site", as: "ptm")
            defer { transferManager.close() }
            let request = TransferTokenRequest(distributionPoint: "dp1", versionID: created.version.versionID)
            let first = try await transferManager.request(request)
            #expect(first.expiresAt == site.clock.now.addingTimeInterval(3600))
            site.clock.advance(by: .seconds(600))
            let later = try await transferManager.request(request)
            #expect(later.expiresAt == site.clock.now.addingTimeInterval(3600))
            #expect(later.expiresAt.timeIntervalSince(first.expiresAt) == 600)
        } catch {
            await site.stop()
            throw error
        }
        await site.stop()
    }

    @Test func issue14_aTransferTokenReadsOnlyItsOwnVersionFromTheLibrary() async throws {
        // SPEC T2, issue 14 item 3: the library's chunk routes name no version, so the token's
        // decides; a token for one version reads no chunk of another.
        let site = try InProcessSite()
        do {
            let manager = try await site.startDistributionManager(points: [("dp1", site.endpoint("dp1"), "http://127.0.0.1:9")])
            let library = try #require(manager.host.httpURL)
            let admin = site.client(to: "site")
            defer { admin.close() }
            let first = try await admin.request(CreateContent(name: "office", type: .package, priority: .high,
                                                              sourcePath: try site.source("office", files: [("a.bin", 100_000)], seed: 1).path))
            let second = try await admin.request(CreateContent(name: "drivers", type: .package, priority: .high,
                                                               sourcePath: try site.source("drivers", files: [("b.bin", 100_000)], seed: 2).path))
            let transferManager = site.client(to: "site", as: "ptm")
            defer { transferManager.close() }
            func token(_ version: String) async throws -> [String: String] {
                ["Authorization": "Bearer " + (try await transferManager.request(TransferTokenRequest(distributionPoint: "dp1", versionID: version))).token]
            }
            let firstToken = try await token(first.version.versionID)
            let secondToken = try await token(second.version.versionID)
            func chunk(of version: String, _ headers: [String: String]) async throws -> String {
                let response = try await HTTPClient.shared.get(library + DataPlanePath.libraryManifest.path(version: version),
                                                               options: HTTPRequestOptions(headers: headers))
                #expect(response.status == 200)
                return try #require(try Manifest.decode(response.body).uniqueChunks.first?.hash)
            }
            let own = try await chunk(of: first.version.versionID, firstToken)
            let other = try await chunk(of: second.version.versionID, secondToken)
            func get(_ hash: String) async throws -> Int {
                try await HTTPClient.shared.get(library + DataPlanePath.libraryChunk.path(hash: hash), options: HTTPRequestOptions(headers: firstToken)).status
            }
            #expect(try await get(own) == 200)
            #expect(try await get(other) == 403, "another version's chunk")
            func batch(_ hashes: [String]) async throws -> Int {
                try await HTTPClient.shared.post(library + DataPlanePath.libraryChunkBatch.path(), body: Data(hashes.joined(separator: "\n").utf8),
                                                 options: HTTPRequestOptions(headers: firstToken)).status
            }
            #expect(try await batch([own]) == 200)
            #expect(try await batch([own, other]) == 403, "a batch with another version's chunk")
        } catch {
            await site.stop()
            throw error
        }
        await site.stop()
    }
}
