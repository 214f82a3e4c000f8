@testable import DistributionManager
import Messages
import Testing

// Issue 16: the DP priority measured from the last transfer (SPEC C7), as a plain rule.
@Suite("DistributionPointPriorityMeter")
struct DistributionPointPriorityMeterTests {
    @Test func C7_theSecondsPerGiBOfTheLastTransferRankTheDP() {
        // 1 GiB in 10 s (about 107 MB/s) ranks before 1 GiB in 100 s.
        #expect(DistributionPointPriorityMeter.measured(seconds: 10, bytes: 1 << 30) == 10)
        #expect(DistributionPointPriorityMeter.measured(seconds: 100, bytes: 1 << 30) == 100)
        // Size does not decide: 256 MiB in 25 s is as fast as 1 GiB in 100 s.
        #expect(DistributionPointPriorityMeter.measured(seconds: 25, bytes: 1 << 28) == 100)
        // Partial seconds round up, and the fastest link is still 1, never 0.
        #expect(DistributionPointPriorityMeter.measured(seconds: 10.2, bytes: 1 << 30) == 11)
        #expect(DistributionPointPriorityMeter.measured(seconds: 0, bytes: 1 << 30) == 1)
    }

    @Test func C7_aTransferTooSmallOrMalformedToTellLeavesThePriority() {
        #expect(DistributionPointPriorityMeter.measured(seconds: 1, bytes: (1 << 20) - 1) == nil)
        #expect(DistributionPointPriorityMeter.measured(seconds: .nan, bytes: 1 << 30) == nil)
        #expect(DistributionPointPriorityMeter.measured(seconds: -1, bytes: 1 << 30) == nil)
        // A crawl is capped at the slowest priority a person could set.
        #expect(DistributionPointPriorityMeter.measured(seconds: 1e12, bytes: 1 << 20) == 1_000_000)
    }

    @Test func C7_newDPsShareTheDefaultAndManualPrioritiesAreBounded() throws {
        #expect(DistributionPointPolicy.defaultPriority == 100)
        #expect(try DistributionPointPriorityMeter.validManual(1) == 1)
        #expect(try DistributionPointPriorityMeter.validManual(1_000_000) == 1_000_000)
        #expect(throws: WireError.self) { try DistributionPointPriorityMeter.validManual(0) }
        #expect(throws: WireError.self) { try DistributionPointPriorityMeter.validManual(1_000_001) }
    }
}
