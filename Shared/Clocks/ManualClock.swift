import Foundation
import Synchronization

/// A clock that moves only when a test advances it.
///
/// Sleepers wake, in deadline order, when ``advance(by:)`` or ``advance(to:)`` reaches their
/// deadline; a cancelled sleeper throws `CancellationError` at once. ``waitForSleepers(_:)``
/// lets a test wait until the code under test is parked on the clock before it advances,
/// so no test needs a real delay.
public final class ManualClock: ServiceClock {
    private struct Sleeper {
        let id: UInt64
        let deadline: Date
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
    }

    private let state: Mutex<State>
    public let timeZone: TimeZone

    /// - Parameters:
    ///   - now: the starting time (default 2026-01-05 00:00 UTC, a Monday).
    ///   - timeZone: the zone schedules are read in (default UTC).
    public init(now: Date = Date(timeIntervalSince1970: 1_767_571_200), timeZone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.state = Mutex(State(now: now))
        self.timeZone = timeZone
    }

    public var now: Date { state.withLock { $0.now } }

    /// How many tasks are sleeping on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward by `duration` and wakes every sleeper whose deadline passed.
    public func advance(by duration: Duration) {
        advance(to: now.addingTimeInterval(duration.timeInterval))
    }

    /// Moves the clock to `date` (never backwards) and wakes every sleeper due by then.
    public func advance(to date: Date) {
        let due = state.withLock { state -> [Sleeper] in
            if date > state.now { state.now = date }
            let due = state.sleepers.filter { $0.deadline <= state.now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= state.now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits (on real time, up to `timeout`) until at least `count` tasks sleep on this clock.
    ///
    /// Returns whether they did; a test advances the clock only once the code under test is
    /// parked, or its wake-up would be missed.
    @discardableResult
    public func waitForSleepers(_ count: Int = 1, timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while sleeperCount < count {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }
}
