@testable import DistributionManager
import Messages
import Testing

// Issue 15 item 4: what to send where, as a plain rule (SPEC C4, C5, C8).
@Suite("DistributionPlanner")
struct DistributionPlannerTests {
    typealias Target = DistributionPlanner.Target
    typealias Current = DistributionPlanner.Current
    static let version = String(repeating: "ab", count: 32)
    static let older = String(repeating: "cd", count: 32)

    @Test func aDPNamedSeveralWaysIsSentTheVersionOnceUnderTheFirstWay() {
        let plan = DistributionPlanner.plan([Target(distributionPoint: "dp1", origin: "named"),
                                             Target(distributionPoint: "dp2", origin: "dp group branches"),
                                             Target(distributionPoint: "dp1", origin: "dp group branches")],
                                            versionID: Self.version, current: [:], redistribute: false)
        #expect(plan.send == [Target(distributionPoint: "dp1", origin: "named"), Target(distributionPoint: "dp2", origin: "dp group branches")])
    }

    @Test func aDPThatHoldsOrIsReceivingTheVersionIsLeftAlone() {
        let plan = DistributionPlanner.plan(["dp1", "dp2", "dp3"].map { Target(distributionPoint: $0, origin: "named") },
                                            versionID: Self.version,
                                            current: ["dp1": Current(versionID: Self.version, state: .installed),
                                                      "dp2": Current(versionID: Self.version, state: .inProgress),
                                                      "dp3": Current(versionID: Self.version, state: .waiting)],
                                            redistribute: false)
        #expect(plan.send.isEmpty)
        #expect(plan.alreadyInstalled == ["dp1"])
        #expect(plan.alreadyInProgress == ["dp2", "dp3"])
    }

    @Test func aFailedTransferOrAnOlderVersionIsSentAgain() {
        let plan = DistributionPlanner.plan(["dp1", "dp2"].map { Target(distributionPoint: $0, origin: "named") },
                                            versionID: Self.version,
                                            current: ["dp1": Current(versionID: Self.version, state: .failed),
                                                      "dp2": Current(versionID: Self.older, state: .installed)],
                                            redistribute: false)
        #expect(plan.send.map(\.distributionPoint) == ["dp1", "dp2"])
        #expect(plan.alreadyInstalled.isEmpty && plan.alreadyInProgress.isEmpty)
    }

    @Test func redistributeSendsEvenWhereInstalledAndSaysSo() {
        // SPEC C5: every chunk again, even where the DP has it.
        let plan = DistributionPlanner.plan([Target(distributionPoint: "dp1", origin: "named")], versionID: Self.version,
                                            current: ["dp1": Current(versionID: Self.version, state: .installed)], redistribute: true)
        #expect(plan.send == [Target(distributionPoint: "dp1", origin: "named, redistributed")])
        #expect(plan.alreadyInstalled.isEmpty)
    }
}
