import Clocks
import DistributionManager
import Foundation
import GRDB
import Messages
import PackageTransferManager
import Testing

// Issue 15 item 2: the PTM built in-process with the site and a DP, as @main builds them, on a manual clock.
@Suite("PackageTransferManager in-process")
struct PackageTransferManagerTests {
    @Test func issue15_aDistributionRunsEndToEndThroughInProcessServices() async throws {
        // SPEC T1, T2: distribute → PTM job → chunks pushed to the DP → verified → installed at the site.
        let site = try InProcessSite()
        do {
            let point = try await site.startDistributionPoint()
            _ = try await site.startTransferManager()
            _ = try await site.startDistributionManager(points: [("dp1", site.endpoint("dp1"), try #require(point.host.httpURL))])
            let source = try site.source("office", files: [("setup.bin", 300_000), ("data.cab", 150_000)])
            let admin = site.client(to: "site")
            defer { admin.close() }
            _ = try await admin.request(CreateContent(name: "office", type: .package, priority: .high, sourcePath: source.path))
            _ = try await admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            let installed = try await eventually {
                let status = try await admin.request(DistributionStatusQuery(name: "office"))
                return status.targets.first?.state == .installed
            }
            #expect(installed)
        } catch {
            await site.stop()
            throw error
        }
        await site.stop()
    }

    @Test func issue15_aFailedTransferWaitsForItsRetryTimeOnTheServiceClock() async throws {
        // SPEC T4: the retry is due when the clock reaches it, and not before, however long the test waits.
        let site = try InProcessSite()
        do {
            let transferManager = try await site.startTransferManager(retryDelaySeconds: 1800)
            // dp1 is configured but never started: every attempt fails.
            _ = try await site.startDistributionManager(points: [("dp1", site.endpoint("dp1"), "http://127.0.0.1:9")])
            let source = try site.source("office", files: [("setup.bin", 100_000)])
            let admin = site.client(to: "site")
            defer { admin.close() }
            _ = try await admin.request(CreateContent(name: "office", type: .package, priority: .high, sourcePath: source.path))
            _ = try await admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            struct Job: Sendable { var state: String; var attempts: Int; var nextAttemptAt: Double }
            func job() async throws -> Job? {
                try await transferManager.database.read { db in
                    try Row.fetchOne(db, sql: "SELECT state, attempts, nextAttemptAt FROM transferJob").map {
                        Job(state: $0["state"], attempts: $0["attempts"], nextAttemptAt: $0["nextAttemptAt"])
                    }
                }
            }
            let failedOnce = try await eventually {
                guard let job = try await job() else { return false }
                return job.state == "queued" && job.attempts == 1
            }
            #expect(failedOnce)
            let firstFailure = site.clock.now
            let due = try #require(try await job()?.nextAttemptAt)
            #expect(due == firstFailure.addingTimeInterval(1800).timeIntervalSince1970)

            // Real time passes, the service clock does not: no second attempt.
            try await Task.sleep(for: .seconds(2))
            #expect(try await job()?.attempts == 1)

            site.clock.advance(by: .seconds(1800))
            let retried = try await eventually {
                (try await job()?.attempts ?? 0) >= 2
            }
            #expect(retried)
        } catch {
            await site.stop()
            throw error
        }
        await site.stop()
    }
}
