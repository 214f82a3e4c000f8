@testable import DistributionManager
import Testing

/// SPEC C3: at most five increments on top of a full version; the sixth change makes a new
/// full version, and the set before it goes once every target holds it.
@Suite struct VersionChainRuleTests {
    let rule = VersionChainRule()

    func chain(_ count: Int) -> [VersionChainRule.Version] {
        var versions: [VersionChainRule.Version] = []
        var position: Int? = nil
        for number in 1...count {
            let next = rule.position(after: position)
            versions.append(.init(number: number, chainPosition: next))
            position = next
        }
        return versions
    }

    @Test func C3_fiveIncrementsThenTheSixthChangeIsAFullVersion() {
        #expect(chain(13).map(\.chainPosition) == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0])
        #expect(VersionChainRule(incrementsPerFull: 2).position(after: 2) == 0)
    }

    @Test func C3_noFullVersionAfterTheFirstRetiresNothing() {
        #expect(rule.retirable(chain(6), targetsHolding: [6, 6], pinned: []).isEmpty)
        #expect(rule.retirable(chain(1), targetsHolding: [], pinned: []).isEmpty)
    }

    @Test func C3_theOlderSetGoesOnlyOnceEveryTargetHoldsTheFullVersion() {
        let versions = chain(7)
        #expect(rule.retirable(versions, targetsHolding: [7, 6], pinned: []).isEmpty, "one target still has only version 6")
        #expect(rule.retirable(versions, targetsHolding: [7, nil], pinned: []).isEmpty, "one target holds nothing yet")
        #expect(rule.retirable(versions, targetsHolding: [7, 7], pinned: []) == [1, 2, 3, 4, 5, 6])
        #expect(rule.retirable(chain(9), targetsHolding: [8, 9], pinned: []) == [1, 2, 3, 4, 5, 6], "a later increment counts as holding it")
        #expect(rule.retirable(versions, targetsHolding: [], pinned: []) == [1, 2, 3, 4, 5, 6], "a content sent nowhere waits for nobody")
    }

    @Test func C3_aVersionADeploymentStillNamesStays() {
        #expect(rule.retirable(chain(7), targetsHolding: [7], pinned: [4]) == [1, 2, 3, 5, 6])
    }

    @Test func C3_theNewestFullVersionDecides() {
        // Versions 1-6 went already; 7-12 stay until version 13, the next full one, is everywhere.
        let remaining = Array(chain(13).dropFirst(6))
        #expect(rule.retirable(remaining, targetsHolding: [13], pinned: []) == [7, 8, 9, 10, 11, 12])
        #expect(rule.retirable(Array(remaining.dropLast()), targetsHolding: [12], pinned: []).isEmpty)
    }
}
