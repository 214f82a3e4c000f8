import Clocks
import Foundation
import GRDB
import Messages
import Testing

// Issue 16 item 5 (SPEC C8): an on-demand distribution that failed is asked for again at
// the client's next request, instead of never. Real DM, PTM and MP in-process.
@Suite("On-demand after a failed distribution")
struct OnDemandRetryTests {
    @Test func C8_aFailedOnDemandDistributionFiresAgainAtTheNextRequest() async throws {
        let site = try InProcessSite()
        do {
            // dp1 never answers and the PTM gives up after one attempt.
            let transferManager = try await site.startTransferManager(maximumAttempts: 1)
            _ = try await site.startManagementPoint()
            _ = try await site.startDistributionManager(points: [("dp1", site.endpoint("dp1"), "http://127.0.0.1:9")], managementPoint: true)
            let admin = site.client(to: "site")
            let managementPoint = site.client(to: "mp")
            defer { admin.close(); managementPoint.close() }
            _ = try await admin.request(CreateBoundaryGroup(name: "branch", ranges: [BoundaryRange(subnet: "10.9.0.0/24", firstAddress: nil, lastAddress: nil)]))
            _ = try await admin.request(AddBoundaryGroupMember(group: "branch", member: BoundaryGroupMember(distributionPoint: "dp1", slow: false)))
            let source = try site.source("app", files: [("setup.bin", 100_000)])
            _ = try await admin.request(CreateContent(name: "app", type: .application, priority: .medium, sourcePath: source.path))
            _ = try await admin.request(SetContent(name: "app", distributeOnDemand: true))
            let query = ContentLocationQuery(content: "app", versionID: nil, clientAddress: "10.9.0.5", allowFallback: false)
            func jobs() async throws -> Int {
                try await transferManager.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM transferJob") ?? 0 }
            }
            func target() async throws -> DistributionTargetStatus? {
                try await admin.request(DistributionStatusQuery(name: "app")).targets.first
            }

            // The MP learns of dp1 and the content, then a client asks: one on-demand job.
            #expect(try await eventually {
                _ = try? await managementPoint.request(query)
                return try await jobs() == 1
            })
            #expect(try await eventually { try await target()?.state == .failed })
            // The site's next snapshot names the failed version; the client's next request fires again.
            #expect(try await eventually {
                _ = try? await managementPoint.request(query)
                return try await jobs() >= 2
            })
            #expect(try await transferManager.database.read { db in
                try String.fetchAll(db, sql: "SELECT contentName FROM transferJob")
            } .allSatisfy { $0 == "app" })
        } catch {
            await site.stop()
            throw error
        }
        await site.stop()
    }
}
