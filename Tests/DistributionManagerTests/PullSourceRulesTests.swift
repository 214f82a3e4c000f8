@testable import DistributionManager
import Messages
import Testing

// SPEC P2, P5: who may pull from whom, as a plain rule.
@Suite("PullSourceRules")
struct PullSourceRulesTests {
    typealias Point = PullSourceRules.Point

    static let points: [String: Point] = [
        "site": Point(name: "site", onSiteServer: true),
        "dp1": Point(name: "dp1"),
        "dp2": Point(name: "dp2", pullSources: [PullSource(name: "dp1", rank: 1)]),
        "dp3": Point(name: "dp3", pullSources: [PullSource(name: "dp2", rank: 1)]),
        "cloud1": Point(name: "cloud1", isCloud: true),
    ]

    static func refusal(_ name: String, _ sources: [PullSource]) -> String? {
        do {
            try PullSourceRules.check(points[name] ?? Point(name: name), sources: sources, points: points)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func P2_P5_aDPMayPullFromStandardAndPullDPsWithRanks() {
        #expect(Self.refusal("dp4", [PullSource(name: "dp3", rank: 2), PullSource(name: "site", rank: 1)]) == nil, "the DP on the site server may be a source")
        #expect(Self.refusal("dp3", [PullSource(name: "dp2", rank: 1), PullSource(name: "dp1", rank: 2)]) == nil)
        #expect(Self.refusal("dp4", [PullSource(name: "dp3", rank: 1)]) == nil, "a chain of pull DPs (SPEC P5)")
        #expect(Self.refusal("dp2", []) == nil, "a standard DP again")
    }

    @Test func P2_P5_theSiteServerCloudDPsLoopsAndBadRanksAreRefusedWithTheReason() {
        #expect(Self.refusal("site", [PullSource(name: "dp1", rank: 1)])?.contains("on the site server") == true)
        #expect(Self.refusal("cloud1", [PullSource(name: "dp1", rank: 1)])?.contains("cloud1 is a cloud DP, which cannot be a pull DP") == true)
        #expect(Self.refusal("dp2", [PullSource(name: "cloud1", rank: 1)])?.contains("cannot be a source of a pull DP") == true)
        #expect(Self.refusal("dp2", [PullSource(name: "dp2", rank: 1)]) == "dp2 cannot be its own source")
        #expect(Self.refusal("dp1", [PullSource(name: "dp2", rank: 1)])?.contains("loops: dp1 → dp2 → dp1") == true)
        #expect(Self.refusal("dp2", [PullSource(name: "dp1", rank: 0)])?.contains("ranks are 1-1000") == true)
        #expect(Self.refusal("dp2", [PullSource(name: "dp1", rank: 1001)])?.contains("ranks are 1-1000") == true)
        #expect(Self.refusal("dp2", [PullSource(name: "nope", rank: 1)])?.contains("no distribution point named 'nope'") == true)
        #expect(Self.refusal("dp2", [PullSource(name: "dp1", rank: 1), PullSource(name: "dp1", rank: 2)])?.contains("named twice") == true)
    }

    @Test func P5_dependentsAreThePullDPsNamingTheSource() {
        #expect(PullSourceRules.dependents(of: "dp1", points: Self.points) == ["dp2"])
        #expect(PullSourceRules.dependents(of: "dp3", points: Self.points) == [])
    }
}
