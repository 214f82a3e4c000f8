import Foundation
import Messages
import Testing

@Suite("LocationDecision")
struct LocationDecisionTests {
    static func point(_ name: String, preferred: Bool, slow: Bool) -> LocatedDistributionPoint {
        LocatedDistributionPoint(name: name, httpURL: "http://\(name)", preferred: preferred, slow: slow, boundaryGroups: [])
    }

    static func reply(_ points: [LocatedDistributionPoint], onDemand: [String] = []) -> ContentLocationReply {
        ContentLocationReply(content: "app", versionID: "v", distributionPoints: points, downloadToken: "t", tokenExpiresAt: nil,
                             onDemandDistribution: onDemand)
    }

    @Test("a preferred DP is used when listed; slow DPs only when the deployment downloads on slow links")
    func slowLinks() {
        let answer = Self.reply([Self.point("dp1", preferred: true, slow: true), Self.point("dp2", preferred: false, slow: true)])
        let download = LocationDecision.decide(answer, allowFallback: true, slowNetwork: .download, hasToken: true)
        #expect(download.kind == .download)
        #expect(download.distributionPoints == ["dp1", "dp2"])
        let refuse = LocationDecision.decide(answer, allowFallback: true, slowNetwork: .doNotDownload, hasToken: true)
        #expect(refuse.kind == .contentNotAvailable)
        #expect(refuse.reason.contains("dp1, dp2 hold the version, over a slow link"))
        let fastAndSlow = Self.reply([Self.point("dp1", preferred: true, slow: false), Self.point("dp2", preferred: false, slow: true)])
        #expect(LocationDecision.decide(fastAndSlow, allowFallback: true, slowNetwork: .doNotDownload, hasToken: true).distributionPoints == ["dp1"])
    }

    @Test("without a download token nothing is downloaded, and the reason says why")
    func noToken() {
        let answer = Self.reply([Self.point("dp1", preferred: true, slow: false)])
        let decision = LocationDecision.decide(answer, allowFallback: false, slowNetwork: .download, hasToken: false)
        #expect(decision.kind == .contentNotAvailable)
        #expect(decision.reason.contains("no download token"))
    }

    @Test("nothing usable: content not available, or waiting for an on-demand distribution")
    func nothingUsable() {
        let none = LocationDecision.decide(Self.reply([]), allowFallback: false, slowNetwork: .download, hasToken: true)
        #expect(none.kind == .contentNotAvailable)
        #expect(none.reason.contains("does not allow fallback"))
        let waiting = LocationDecision.decide(Self.reply([], onDemand: ["dp1"]), allowFallback: true, slowNetwork: .download, hasToken: true)
        #expect(waiting.kind == .waitForOnDemandDistribution)
        #expect(waiting.reason.contains("on demand to dp1"))
    }

    @Test("messages from before fallback existed decode with its defaults")
    func olderPeers() throws {
        let policy = try JSONDecoder().decode(DeploymentPolicy.self, from: Data("""
            {"id":"a-v1","content":"a","versionID":"v","collection":"All Systems","cacheOnly":false}
            """.utf8))
        #expect(policy.allowFallback == false)
        #expect(policy.slowNetwork == .download)
        let point = try JSONDecoder().decode(LocatableDistributionPoint.self, from: Data("""
            {"name":"dp1","httpURL":"http://x","installedVersions":[]}
            """.utf8))
        #expect(point.allowFallback == false)
        let distribute = try JSONDecoder().decode(Distribute.self, from: Data("""
            {"name":"a","distributionPoints":["dp1"],"redistribute":false}
            """.utf8))
        #expect(distribute.distributionPointGroups.isEmpty && distribute.collections.isEmpty)
    }
}
