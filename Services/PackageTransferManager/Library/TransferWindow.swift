import Foundation
import Messages

/// When a DP's weekly schedule lets content of a priority be sent (SPEC T3).
///
/// A plain rule over the schedule and the sending site's calendar: hours are the site's wall
/// clock hours, so a daylight-saving change moves the windows with the site's clocks (the
/// skipped hour does not exist; the repeated hour is the same cell twice).
struct TransferWindow {
    let schedule: TransferSchedule
    /// The site's calendar, in the site's time zone.
    let calendar: Calendar

    /// The cell in force at `date`.
    func access(at date: Date) -> ScheduleAccess {
        let parts = calendar.dateComponents([.weekday, .hour], from: date)
        // Calendar weekdays run Sunday = 1 … Saturday = 7; the schedule starts on Monday.
        let day = ((parts.weekday ?? 2) + 5) % 7
        return schedule.access(day: day, hour: parts.hour ?? 0)
    }

    func isOpen(for priority: Priority, at date: Date) -> Bool {
        access(at: date).admits(priority)
    }

    /// The first hour boundary after `date` at which content of `priority` may be sent; nil
    /// when the schedule never admits it.
    func nextOpening(for priority: Priority, after date: Date) -> Date? {
        nextChange(after: date) { $0.admits(priority) }
    }

    /// The first hour boundary after `date` at which content of `priority` may no longer be
    /// sent; nil when the schedule never stops it.
    func nextClosing(for priority: Priority, after date: Date) -> Date? {
        nextChange(after: date) { !$0.admits(priority) }
    }

    private func nextChange(after date: Date, to wanted: (ScheduleAccess) -> Bool) -> Date? {
        var boundary = date
        // A week and a day of hour boundaries covers every cell, with a DST change in it.
        for _ in 0..<(TransferSchedule.hoursPerWeek + 26) {
            guard let next = calendar.nextDate(after: boundary, matching: DateComponents(minute: 0, second: 0),
                                               matchingPolicy: .nextTime) else { return nil }
            if wanted(access(at: next)) { return next }
            boundary = next
        }
        return nil
    }

    /// `date` as the site's administrators read it: "Tue 18:00".
    func describe(_ date: Date) -> String {
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        let day = TransferSchedule.dayNames[((parts.weekday ?? 2) + 5) % 7].capitalized
        return String(format: "%@ %02d:%02d", day, parts.hour ?? 0, parts.minute ?? 0)
    }
}
