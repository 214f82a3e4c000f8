import Foundation
import Messages
@testable import PackageTransferManager
import Testing

// SPEC T5: the PTM's cycle for a pull DP's job, as a plain rule with the seed's 20 and 60 minutes.
@Suite("PullJobCycle")
struct PullJobCycleTests {
    let cycle = PullJobCycle.seedDefaults
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func T5_withNoSourceHoldingTheVersionThePTMLooksAgainIn20Minutes() {
        #expect(cycle.afterSourceCheck(anyHolds: false, now: now) == .init(phase: .awaitingSource, nextCheckAt: now + 1200))
        #expect(cycle.afterSourceCheck(anyHolds: true, now: now).nextCheckAt == now)
        #expect(cycle.afterNotificationFailed(now: now) == .init(phase: .awaitingSource, nextCheckAt: now + 1200))
    }

    @Test func T5_afterNotifyingThePTMWaits60MinutesForAStatusAndEveryStatusStartsTheWaitAgain() {
        #expect(cycle.afterNotified(now: now) == .init(phase: .notified, nextCheckAt: now + 3600))
        #expect(cycle.afterStatusHeard(.downloading, now: now + 100) == .init(phase: .notified, nextCheckAt: now + 3700))
        #expect(cycle.afterStatusHeard(.installed, now: now) == .init(phase: .installed, nextCheckAt: now))
        #expect(cycle.afterStatusHeard(.installed, now: now).reportsEnd == false, "the site already has the end")
        #expect(cycle.afterStatusHeard(.failed, now: now).phase == .failed)
    }

    @Test func T5_whileThePullDPIsStillPullingThePTMAsksAgainEvery60MinutesUntilItIsDone() {
        #expect(cycle.afterPoll(.downloading, now: now) == .init(phase: .notified, nextCheckAt: now + 3600))
        #expect(cycle.afterPoll(.waitingForSource, now: now) == .init(phase: .notified, nextCheckAt: now + 3600))
        #expect(cycle.afterPollFailed(now: now) == .init(phase: .notified, nextCheckAt: now + 3600))
        #expect(cycle.afterPoll(.installed, now: now) == .init(phase: .installed, nextCheckAt: now, reportsEnd: true))
        #expect(cycle.afterPoll(.failed, now: now) == .init(phase: .failed, nextCheckAt: now, reportsEnd: true))
        // A pull DP that lost the job is notified again, after the sources are checked again.
        #expect(cycle.afterPoll(.unknown, now: now) == .init(phase: .awaitingSource, nextCheckAt: now))
    }

    @Test func T5_theIntervalsAreSettings() {
        let shrunk = PullJobCycle(sourceCheck: 5, statusWait: 30, statusPoll: 10)
        #expect(shrunk.afterSourceCheck(anyHolds: false, now: now).nextCheckAt == now + 5)
        #expect(shrunk.afterNotified(now: now).nextCheckAt == now + 30)
        #expect(shrunk.afterPoll(.downloading, now: now).nextCheckAt == now + 10)
    }
}
