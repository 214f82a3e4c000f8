import Clocks
import Foundation
@testable import PackageTransferManager
import Testing

// Issue 15 item 4: which job the PTM runs next, as a plain rule on the manual clock (SPEC T4, C6).
@Suite("TransferJobScheduler")
struct TransferJobSchedulerTests {
    typealias Candidate = TransferJobScheduler.Candidate

    static func job(_ id: String, priority: Int = 1, createdAt: Double = 0, due: Double = 0) -> Candidate {
        Candidate(jobID: id, priorityRank: priority, createdAt: createdAt, nextAttemptAt: due)
    }

    @Test func higherContentPriorityStartsFirstThenTheOldest() {
        let clock = ManualClock()
        let now = clock.now.timeIntervalSince1970
        let queued = [Self.job("low-old", priority: 2, createdAt: now - 300),
                      Self.job("medium-new", priority: 1, createdAt: now - 10),
                      Self.job("high-new", priority: 0, createdAt: now - 5),
                      Self.job("medium-old", priority: 1, createdAt: now - 200)]
        let order = TransferJobScheduler(maximumConcurrentJobs: 10).next(queued: queued, running: 0, now: clock.now)
        #expect(order == ["high-new", "medium-old", "medium-new", "low-old"])
    }

    @Test func onlyAsManyStartAsSlotsAreFree() {
        let clock = ManualClock()
        let queued = (1...5).map { Self.job("job\($0)", createdAt: Double($0)) }
        let scheduler = TransferJobScheduler(maximumConcurrentJobs: 3)
        #expect(scheduler.next(queued: queued, running: 0, now: clock.now) == ["job1", "job2", "job3"])
        #expect(scheduler.next(queued: queued, running: 2, now: clock.now) == ["job1"])
        #expect(scheduler.next(queued: queued, running: 3, now: clock.now).isEmpty)
    }

    @Test func aJobWaitingForItsRetryIsDueOnlyWhenTheClockReachesIt() {
        // SPEC T4: 30 minutes between attempts, on the service clock.
        let clock = ManualClock()
        let retryAt = clock.now.addingTimeInterval(1800).timeIntervalSince1970
        let queued = [Self.job("retry", priority: 0, due: retryAt), Self.job("fresh", priority: 2, due: clock.now.timeIntervalSince1970)]
        let scheduler = TransferJobScheduler(maximumConcurrentJobs: 3)
        #expect(scheduler.next(queued: queued, running: 0, now: clock.now) == ["fresh"])
        clock.advance(by: .seconds(1799))
        #expect(scheduler.next(queued: queued, running: 0, now: clock.now) == ["fresh"])
        clock.advance(by: .seconds(1))
        #expect(scheduler.next(queued: queued, running: 0, now: clock.now) == ["retry", "fresh"])
    }
}
