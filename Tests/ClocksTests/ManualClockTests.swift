import Clocks
import Foundation
import Synchronization
import Testing

// Issue 15 item 1: the service clock that every timer goes through; tests advance it.
@Suite("ManualClock")
struct ManualClockTests {
    @Test func nowMovesOnlyWhenAdvanced() {
        let clock = ManualClock()
        let start = clock.now
        clock.advance(by: .seconds(90))
        #expect(clock.now.timeIntervalSince(start) == 90)
        clock.advance(to: start)
        #expect(clock.now.timeIntervalSince(start) == 90, "the clock never goes backwards")
    }

    @Test func aSleeperWakesWhenItsDeadlineIsReachedAndNotBefore() async throws {
        let clock = ManualClock()
        let woke = Recorder<Bool>()
        let sleeper = Task {
            try await clock.sleep(for: .seconds(1800))
            woke.append(true)
        }
        #expect(await clock.waitForSleepers(1))
        clock.advance(by: .seconds(1799))
        try await Task.sleep(for: .milliseconds(20))
        #expect(woke.values.isEmpty)
        clock.advance(by: .seconds(1))
        try await sleeper.value
        #expect(woke.values == [true])
        #expect(clock.sleeperCount == 0)
    }

    @Test func sleepersWakeInDeadlineOrder() async throws {
        let clock = ManualClock()
        let order = Recorder<Int>()
        let tasks = [30, 10, 20].map { minutes in
            Task {
                try await clock.sleep(for: .seconds(minutes * 60))
                order.append(minutes)
            }
        }
        #expect(await clock.waitForSleepers(3))
        clock.advance(by: .seconds(10 * 60))
        try await tasks[1].value
        clock.advance(by: .seconds(20 * 60))
        try await tasks[0].value
        try await tasks[2].value
        #expect(order.values == [10, 20, 30])
    }

    @Test func aPastDeadlineReturnsAtOnce() async throws {
        let clock = ManualClock()
        try await clock.sleep(until: clock.now.addingTimeInterval(-5))
        #expect(clock.sleeperCount == 0)
    }

    @Test func cancellingASleeperThrowsAndForgetsIt() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(3600)) }
        #expect(await clock.waitForSleepers(1))
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test func theCalendarUsesTheClocksTimeZone() throws {
        let zone = try #require(TimeZone(identifier: "Europe/Lisbon"))
        // 2026-07-06 12:30 UTC is 13:30 in Lisbon (summer time).
        let clock = ManualClock(now: Date(timeIntervalSince1970: 1_783_341_000), timeZone: zone)
        #expect(clock.calendar.component(.hour, from: clock.now) == 13)
        #expect(clock.calendar.component(.weekday, from: clock.now) == 2, "a Monday")
    }
}

@Suite("SystemClock")
struct SystemClockTests {
    @Test func sleepsOnRealTime() async throws {
        let clock = SystemClock()
        let before = ContinuousClock.now
        try await clock.sleep(for: .milliseconds(30))
        #expect(ContinuousClock.now - before >= .milliseconds(30))
    }
}

/// Values appended from other tasks, read by the test.
final class Recorder<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])
    func append(_ value: Value) { storage.withLock { $0.append(value) } }
    var values: [Value] { storage.withLock { $0 } }
}
