import Foundation

/// Where a service reads the time and waits for it: the one source of timestamps and timers.
///
/// Services never call `Date()` themselves. Production uses ``SystemClock``; tests pass a
/// ``ManualClock`` and advance it, so a 30-minute retry or a weekly schedule is tested in
/// milliseconds without sleeping. Transport deadlines (a bus request's reply timeout) are
/// not service time: they run on the monotonic clock whatever clock the service has.
public protocol ServiceClock: Sendable {
    /// The current wall-clock time.
    var now: Date { get }
    /// The zone schedules are read in (the site's time zone; the system's by default).
    var timeZone: TimeZone { get }
    /// Suspends until `now` has reached `deadline`; throws `CancellationError` when cancelled.
    func sleep(until deadline: Date) async throws
}

extension ServiceClock {
    /// Suspends for `duration` of this clock's time.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now.addingTimeInterval(duration.timeInterval))
    }

    /// A calendar in this clock's time zone (Gregorian), for hourly and weekly schedules.
    public var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }
}

extension Duration {
    /// The duration in seconds, as Foundation's intervals count them.
    public var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
