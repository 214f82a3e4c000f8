import Clocks
import DistributionManager
import Foundation
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
}
