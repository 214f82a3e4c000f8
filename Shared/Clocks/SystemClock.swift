import Foundation

/// The machine's clock: what every service runs on outside tests.
public struct SystemClock: ServiceClock {
    public let timeZone: TimeZone

    /// - Parameter timeZone: the zone schedules are read in; the system's when nil.
    public init(timeZone: TimeZone? = nil) {
        self.timeZone = timeZone ?? .current
    }

    public var now: Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let interval = deadline.timeIntervalSinceNow
        guard interval > 0 else {
            try Task.checkCancellation()
            return
        }
        try await Task.sleep(for: .seconds(interval))
    }
}
