import Clocks
import Foundation
import Messages
@testable import PackageTransferManager
import Testing

// SPEC T3, T4, C6, C7 (issue 16): which jobs the PTM runs, stops and holds, as a plain rule.
@Suite("TransferJobScheduler")
struct TransferJobSchedulerTests {
    typealias Job = TransferJobScheduler.Job

    static func job(_ id: String, content: String, priority: Priority = .medium, dp: String = "dp1", dpPriority: Int = 100,
                    createdAt: Double = 0, due: Double = 0) -> Job {
        Job(jobID: id, content: content, priority: priority, distributionPoint: dp, distributionPointPriority: dpPriority,
            createdAt: createdAt, nextAttemptAt: due)
    }

    static func open(_: String, _: Priority) -> Bool { true }
    static func never(_: String, _: Priority) -> Date? { nil }
    let scheduler = TransferJobScheduler(maximumContents: 3, maximumDistributionPointsPerContent: 5)

    @Test func t4_atMostThreeContentsAndFiveDistributionPointsPerContent() {
        let now = ManualClock().now
        let queued = (1...4).flatMap { content in (1...7).map { dp in Self.job("c\(content)-dp\(dp)", content: "c\(content)", dp: "dp\(dp)",
                                                                                 createdAt: Double(content)) } }
        let decision = scheduler.decide(queued: queued, running: [], now: now, isOpen: Self.open, nextOpening: Self.never)
        let contents = Set(decision.start.map { $0.split(separator: "-")[0] })
        #expect(contents == ["c1", "c2", "c3"])
        #expect(decision.start.count == 15)
        #expect(decision.waiting["c1-dp6"] == .distributionPointLimit(running: 5))
        if case .contentLimit = decision.waiting["c4-dp1"] {} else { Issue.record("c4 should wait for a content slot") }
    }

    @Test func c6_contentPriorityDecidesFirstThenDistributionPointPriority() {
        let now = ManualClock().now
        let queued = [Self.job("low-fast", content: "a", priority: .low, dpPriority: 1),
                      Self.job("high-slow", content: "b", priority: .high, dpPriority: 900, createdAt: 10),
                      Self.job("medium-slow", content: "c", dp: "dp2", dpPriority: 500),
                      Self.job("medium-fast", content: "c", dp: "dp3", dpPriority: 5)]
        let one = TransferJobScheduler(maximumContents: 10, maximumDistributionPointsPerContent: 10)
        let decision = one.decide(queued: queued, running: [], now: now, isOpen: Self.open, nextOpening: Self.never)
        #expect(decision.start == ["high-slow", "medium-fast", "medium-slow", "low-fast"])
    }

    @Test func c6_aHighPriorityJobPreemptsTheLowestPriorityRunningContent() {
        let now = ManualClock().now
        let running = [Self.job("m1", content: "m1"), Self.job("l1", content: "l1", priority: .low), Self.job("m2", content: "m2")]
        let queued = [Self.job("h", content: "h", priority: .high)]
        let decision = scheduler.decide(queued: queued, running: running, now: now, isOpen: Self.open, nextOpening: Self.never)
        #expect(decision.stop == ["l1": .preempted(by: "h")])
        #expect(decision.waiting["h"] == .preempting(content: "l1"))
        // Once the low job has stopped and is queued again, the high one takes its slot.
        let after = scheduler.decide(queued: queued + [Self.job("l1", content: "l1", priority: .low)], running: Array(running.filter { $0.jobID != "l1" }),
                                     now: now, isOpen: Self.open, nextOpening: Self.never)
        #expect(after.start == ["h"])
        if case .contentLimit = after.waiting["l1"] {} else { Issue.record("the preempted job should wait for a slot") }
    }

    @Test func t3_aClosedWindowHoldsQueuedJobsAndStopsRunningOnes() {
        let now = ManualClock().now
        let opens = now.addingTimeInterval(3600)
        let decision = scheduler.decide(queued: [Self.job("q", content: "a", dp: "closed")],
                                        running: [Self.job("r", content: "b", dp: "closed")], now: now,
                                        isOpen: { dp, _ in dp != "closed" }, nextOpening: { _, _ in opens })
        #expect(decision.start.isEmpty)
        #expect(decision.waiting["q"] == .windowClosed(until: opens))
        #expect(decision.stop["r"] == .windowClosed(until: opens))
    }

    @Test func t4_aJobWaitingForItsRetryIsDueOnlyWhenTheClockReachesIt() {
        let clock = ManualClock()
        let retryAt = clock.now.addingTimeInterval(1800)
        let queued = [Self.job("retry", content: "a", due: retryAt.timeIntervalSince1970)]
        #expect(scheduler.decide(queued: queued, running: [], now: clock.now, isOpen: Self.open, nextOpening: Self.never).waiting["retry"]
                == .retry(attempt: 0, at: retryAt))
        clock.advance(by: .seconds(1800))
        #expect(scheduler.decide(queued: queued, running: [], now: clock.now, isOpen: Self.open, nextOpening: Self.never).start == ["retry"])
    }
}

// SPEC T3: the weekly schedule in the site's time zone, across a daylight-saving change.
@Suite("TransferWindow")
struct TransferWindowTests {
    static func calendar(_ zone: String) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone)!
        return calendar
    }

    static func date(_ text: String, _ zone: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: zone)!
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        return formatter.date(from: text)!
    }

    @Test func t3_everyCellKindAdmitsItsPriorities() throws {
        let schedule = try TransferSchedule.parse(["mon 00-06 closed", "mon 06-12 high", "mon 12-18 medium-high"])
        let window = TransferWindow(schedule: schedule, calendar: Self.calendar("UTC"))
        // 2026-01-05 is a Monday.
        let cases: [(String, [Priority])] = [("2026-01-05T03:00:00", []), ("2026-01-05T07:00:00", [.high]),
                                             ("2026-01-05T13:00:00", [.high, .medium]), ("2026-01-05T19:00:00", [.high, .medium, .low])]
        for (time, admitted) in cases {
            let date = Self.date(time, "UTC")
            #expect(Priority.allCases.filter { window.isOpen(for: $0, at: date) } == admitted, "at \(time)")
        }
        #expect(window.nextOpening(for: .low, after: Self.date("2026-01-05T03:00:00", "UTC")) == Self.date("2026-01-05T18:00:00", "UTC"))
        #expect(window.describe(Self.date("2026-01-05T18:00:00", "UTC")) == "Mon 18:00")
    }

    @Test func t3_hoursAreTheSitesWallClockAcrossADaylightSavingChange() throws {
        // Europe/Lisbon moves from UTC+0 to UTC+1 on Sunday 2026-03-29 at 01:00.
        let schedule = try TransferSchedule.parse(["sun 00-09 closed", "mon 00-09 closed"])
        let window = TransferWindow(schedule: schedule, calendar: Self.calendar("Europe/Lisbon"))
        let sunday = Self.date("2026-03-29T00:30:00", "Europe/Lisbon")
        #expect(!window.isOpen(for: .high, at: sunday))
        let opens = try #require(window.nextOpening(for: .high, after: sunday))
        #expect(opens == Self.date("2026-03-29T09:00:00", "Europe/Lisbon"))
        // Eight hours of real time later: the skipped hour does not exist on the site's clocks.
        #expect(opens.timeIntervalSince(sunday) == 7.5 * 3600)
        let monday = Self.date("2026-03-30T08:59:00", "Europe/Lisbon")
        #expect(!window.isOpen(for: .high, at: monday))
        #expect(window.isOpen(for: .high, at: monday.addingTimeInterval(60)))
    }

    @Test func t3_schedulesRoundTripAndBadRulesAreRefused() throws {
        let schedule = try TransferSchedule.parse(["mon-fri 08-18 closed", "sat,sun all high"])
        #expect(try TransferSchedule.parse(schedule.rules) == schedule)
        #expect(schedule.rules == ["mon-fri 08-18 closed", "sat-sun 00-24 high"])
        for bad in ["mon 08-18", "funday 08-18 closed", "mon 18-08 closed", "mon 08-25 closed", "mon 08-18 sometimes"] {
            #expect(throws: TransferPolicyError.self) { try TransferSchedule.parse([bad]) }
        }
    }
}

// SPEC T3: how a rate limit spaces blocks.
@Suite("RatePacing")
struct RatePacingTests {
    @Test func t3_pulseSendsABlockEveryPeriodAndHourlyShareIsTheSeedsDutyCycle() throws {
        let pulse = RatePacing(limit: try RateLimit.parse("pulse:64:1"))
        #expect(pulse.blockBytes == 65_536)
        #expect(abs(pulse.wait(afterBlockOf: 65_536, took: 0.25, hour: 0) - 0.75) < 1e-9)
        #expect(abs(pulse.wait(afterBlockOf: 131_072, took: 0.5, hour: 0) - 1.5) < 1e-9)
        let share = RatePacing(limit: try RateLimit.parse("00-08=100,08-18=20"))
        #expect(share.wait(afterBlockOf: 1, took: 2, hour: 9) == 8)
        #expect(share.wait(afterBlockOf: 1, took: 2, hour: 3) == 0)
        #expect(RatePacing(limit: .unlimited).wait(afterBlockOf: 1 << 20, took: 1, hour: 0) == 0)
        for bad in ["pulse:0:1", "pulse:64", "150%", "08-18=0", "fast"] {
            #expect(throws: TransferPolicyError.self) { try RateLimit.parse(bad) }
        }
        #expect(try RateLimit.parse(RateLimit.parse("00-08=100,08-18=20").text) == RateLimit.parse("00-08=100,08-18=20"))
    }
}
