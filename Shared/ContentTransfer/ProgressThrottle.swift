public import Clocks
public import Foundation

/// Says when a progress report is due: at most once per interval of the service clock, so
/// a fast transfer does not flood the MP or DM with reports. The first call is always due.
public struct ProgressThrottle: Sendable {
    let clock: any ServiceClock
    let interval: Duration
    private var last: Date?

    public init(clock: any ServiceClock, interval: Duration = .milliseconds(500)) {
        self.clock = clock
        self.interval = interval
    }

    /// True (and the interval starts again) when no report was made in the last interval.
    public mutating func isDue() -> Bool {
        let now = clock.now
        if let last, now.timeIntervalSince(last) < interval.timeInterval { return false }
        last = now
        return true
    }
}
