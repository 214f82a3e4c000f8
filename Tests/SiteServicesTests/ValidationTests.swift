import Bus
import ContentStore
import Foundation
import HTTPTransfer
import Messages
import ServiceKit
import Testing

/// SPEC C10 through the real DM, PTM and DP: validation finds a flipped byte and a deleted
/// chunk, the version stops being offered, a repair sends only those two, and the weekly
/// schedule runs on the service clock.
@Suite("Validation and repair end to end")
struct ValidationTests {
    @Test("C10: validation finds a flipped byte and a deleted chunk; repair re-sends only those; the schedule validates weekly")
    func validateRepairAndSchedule() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            let version = try await site.content("office", priority: .high, seed: 10)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1"], redistribute: false))
            #expect(try await eventually { try await site.state("office", "dp1") == .installed })

            let chunks = try site.chunks(version)
            #expect(chunks.count >= 3)
            let store = try ChunkStore(root: site.site.folder.appendingPathComponent("dp1/store", isDirectory: true))
            var flipped = try Data(contentsOf: store.chunkURL(chunks[0].hash))
            flipped[100] ^= 0x01
            try flipped.write(to: store.chunkURL(chunks[0].hash))
            try FileManager.default.removeItem(at: store.chunkURL(chunks[1].hash))

            let accepted = try await site.admin.request(ValidateDistributionPoint(name: "dp1"))
            #expect(accepted.queued == ["office"])
            #expect(try await eventually { try await site.state("office", "dp1") == .failed })
            let reason = try await site.reason("office", "dp1") ?? ""
            #expect(reason.contains("1 chunks missing and 1 corrupt"), "\(reason)")
            #expect(reason.contains("ferry dp repair dp1"), "\(reason)")
            // A damaged version is not served to clients any more.
            let signer = try SiteTokenSigner(privateKeyFile: site.site.signingKey)
            let token = try signer.sign(SiteTokenClaims(scope: "download", subject: "127.0.0.1", audience: ["dp1"], versionID: version,
                                                        issuedAt: site.site.clock.now, expiresAt: site.site.clock.now.addingTimeInterval(600)))
            let base = try #require(site.points["dp1"]?.host.httpURL)
            let manifest = try await HTTPClient.shared.get(base + "/content/\(version)/manifest",
                                                           options: HTTPRequestOptions(headers: ["Authorization": "Bearer \(token)"]))
            #expect(manifest.status == 404)

            let before = try site.receivedBytes("dp1")
            let repair = try await site.admin.request(RepairDistributionPoint(name: "dp1"))
            #expect(repair.queued == ["office"])
            #expect(try await eventually { try await site.state("office", "dp1") == .installed })
            #expect(try site.receivedBytes("dp1") - before == Int64(chunks[0].size + chunks[1].size), "only the two bad chunks")

            // Nothing left to repair; a validation now finds everything intact.
            #expect(try await site.admin.request(RepairDistributionPoint(name: "dp1")).queued.isEmpty)
            _ = try await site.admin.request(ValidateDistributionPoint(name: "dp1", content: "office"))
            #expect(try await eventually { try await site.reason("office", "dp1")?.contains("every chunk intact") == true })

            // The weekly schedule, on the service clock.
            let firstReason = try await site.reason("office", "dp1")
            site.site.clock.advance(by: .seconds(7 * 24 * 3600 + 60))
            #expect(try await eventually {
                let now = try await site.reason("office", "dp1")
                return now != firstReason && now?.contains("every chunk intact") == true
            })
        }
    }

    @Test("C10: each DP can have its own validation schedule: daily for one, never for another, the site's weekly otherwise")
    func perDistributionPointSchedule() async throws {
        try await TransferPolicySite.run(points: 2) { site in
            _ = try await site.content("office", priority: .high, seed: 12)
            _ = try await site.admin.request(Distribute(name: "office", distributionPoints: ["dp1", "dp2"], redistribute: false))
            #expect(try await eventually {
                let first = try await site.state("office", "dp1"), second = try await site.state("office", "dp2")
                return first == .installed && second == .installed
            })
            let daily = try await site.admin.request(SetDistributionPoint(name: "dp1", validationIntervalSeconds: 86_400))
            #expect(daily.point.validationIntervalSeconds == 86_400 && daily.point.validationIntervalIsOwn == true)
            _ = try await site.admin.request(SetDistributionPoint(name: "dp2", validationIntervalSeconds: 0))
            let bad = await #expect(throws: BusError.self) { _ = try await site.admin.request(SetDistributionPoint(name: "dp2", validationIntervalSeconds: 5)) }
            #expect("\(bad.map { "\($0)" } ?? "")".contains("1 minute to 366 days"))
            let before = (try await site.reason("office", "dp1"), try await site.reason("office", "dp2"))

            site.site.clock.advance(by: .seconds(86_400 + 60))
            #expect(try await eventually { try await site.reason("office", "dp1")?.contains("every chunk intact") == true }, "dp1 validated after a day")
            #expect(try await site.reason("office", "dp2") == before.1, "dp2 is never validated on a schedule")
            site.site.clock.advance(by: .seconds(7 * 86_400))
            try await Task.sleep(for: .seconds(1))
            #expect(try await site.reason("office", "dp2") == before.1)
            // Back to the site's schedule: weekly.
            let siteSchedule = try await site.admin.request(SetDistributionPoint(name: "dp2", validationIntervalSeconds: -1))
            #expect(siteSchedule.point.validationIntervalIsOwn == false)
            #expect(try await eventually { try await site.reason("office", "dp2")?.contains("every chunk intact") == true },
                    "a week has passed since dp2's schedule started")
            _ = before.0
        }
    }

    @Test("C10: validating an unknown DP or a content it never had is refused, naming it")
    func badRequestsAreRefused() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            do {
                _ = try await site.admin.request(ValidateDistributionPoint(name: "nowhere"))
                Issue.record("an unknown DP was accepted")
            } catch {
                #expect("\(error)".contains("no distribution point named 'nowhere'"), "\(error)")
            }
            _ = try await site.content("office", priority: .high, seed: 11)
            do {
                _ = try await site.admin.request(ValidateDistributionPoint(name: "dp1", content: "office"))
                Issue.record("a content never distributed to dp1 was accepted")
            } catch {
                #expect("\(error)".contains("never distributed to dp1"), "\(error)")
            }
        }
    }
}
