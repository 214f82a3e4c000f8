import Clocks
import Foundation
import Messages

/// One DP's rate limit, shared by every transfer to it (SPEC T3: one limit per DP).
///
/// A limited DP gets one block at a time from all of its transfers together; after each
/// block the next waits as ``RatePacing`` says, on the service clock. An unlimited DP's
/// blocks go straight through, in parallel.
actor DistributionPointThrottle {
    private let clock: any ServiceClock
    private let calendar: Calendar
    private var pacing: RatePacing
    private var nextStart = Date.distantPast
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: RateLimit, clock: any ServiceClock, calendar: Calendar) {
        pacing = RatePacing(limit: limit)
        self.clock = clock
        self.calendar = calendar
    }

    func update(_ limit: RateLimit) { pacing = RatePacing(limit: limit) }

    /// The size of the next block to send.
    var blockBytes: Int { pacing.blockBytes }
    var limitDescription: String { pacing.description(hour: calendar.component(.hour, from: clock.now)) }
    var isLimited: Bool { pacing.isLimited }

    /// Runs `send` (one block of `bytes`) when the limit allows; blocks of a limited DP go
    /// one at a time. `ready` runs once the wait is over, just before the block goes: a
    /// transfer told to stop while it waited throws there and sends nothing. Throws what
    /// `ready` or `send` throws, or CancellationError while waiting.
    func send<T: Sendable>(bytes: Int, ready: @Sendable () throws -> Void = {}, _ send: @Sendable () async throws -> T) async throws -> T {
        guard pacing.isLimited else {
            try ready()
            return try await send()
        }
        await acquire()
        defer { release() }
        if nextStart > clock.now { try await clock.sleep(until: nextStart) }
        try Task.checkCancellation()
        try ready()
        let started = ContinuousClock.now
        let result = try await send()
        // The block's own time is a transport measurement: the monotonic clock.
        let seconds = started.duration(to: .now).timeInterval
        let hour = calendar.component(.hour, from: clock.now)
        nextStart = clock.now.addingTimeInterval(pacing.wait(afterBlockOf: bytes, took: seconds, hour: hour))
        return result
    }

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}
