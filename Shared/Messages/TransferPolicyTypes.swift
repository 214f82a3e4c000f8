import Foundation

/// Which content priorities one hour of a DP's weekly schedule lets through (SPEC T3).
public enum ScheduleAccess: String, Codable, Sendable, CaseIterable {
    /// Every priority may send.
    case all
    /// Only high-priority content.
    case high
    /// Medium and high, not low.
    case mediumAndHigh = "medium-high"
    /// Nothing is sent.
    case closed

    /// Whether content of `priority` may be sent during an hour with this access.
    public func admits(_ priority: Priority) -> Bool {
        switch self {
        case .all: true
        case .high: priority == .high
        case .mediumAndHigh: priority != .low
        case .closed: false
        }
    }
}

/// A remote DP's weekly sending schedule: 7 × 24 hourly cells, Monday 00:00 first, in the
/// sending site's time zone (SPEC T3).
///
/// Written and read as rules applied in order on an open week, e.g.
/// `mon-fri 08-18 closed` then `mon-fri 12-13 high`; ``parse(_:)`` reads them and
/// ``rules`` writes the shortest equivalent list back.
public struct TransferSchedule: Codable, Sendable, Equatable {
    public static let hoursPerWeek = 7 * 24
    /// Every hour open to every priority: the default.
    public static let alwaysOpen = TransferSchedule(cells: Array(repeating: .all, count: hoursPerWeek))
    public static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// Cell `day × 24 + hour`, day 0 = Monday.
    public var cells: [ScheduleAccess]

    public init(cells: [ScheduleAccess]) { self.cells = cells }

    /// The access during `hour` (0–23) of `day` (0 = Monday).
    public func access(day: Int, hour: Int) -> ScheduleAccess {
        guard cells.count == Self.hoursPerWeek, (0..<7).contains(day), (0..<24).contains(hour) else { return .all }
        return cells[day * 24 + hour]
    }

    /// Whether the cells are a whole week (a schedule decoded from a peer is checked with it).
    public var isWellFormed: Bool { cells.count == Self.hoursPerWeek }

    public var isAlwaysOpen: Bool { cells.allSatisfy { $0 == .all } }

    /// Reads rules `DAYS HOURS ACCESS`, applied in order on an open week.
    ///
    /// DAYS: `mon`, `mon-fri`, `sat,sun`, `daily`; HOURS: `08-18` (from 08:00 up to 18:00,
    /// `00-24` the whole day) or `all`; ACCESS: `all`, `high`, `medium-high`, `closed`. The
    /// single rule `open` is the default week.
    public static func parse(_ rules: [String]) throws -> TransferSchedule {
        var schedule = alwaysOpen
        for rule in rules {
            let words = rule.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
            if words == ["open"] { schedule = alwaysOpen; continue }
            guard words.count == 3 else {
                throw TransferPolicyError("schedule rule '\(rule)' is not 'DAYS HOURS ACCESS' (e.g. 'mon-fri 08-18 closed')")
            }
            let days = try parseDays(words[0], rule: rule)
            let hours = try parseHours(words[1], rule: rule)
            guard let access = ScheduleAccess(rawValue: words[2]) else {
                throw TransferPolicyError("schedule rule '\(rule)': access '\(words[2])' is not one of all, high, medium-high, closed")
            }
            for day in days { for hour in hours { schedule.cells[day * 24 + hour] = access } }
        }
        return schedule
    }

    /// The schedule as rules `parse` reads back: one per day and run of equal hours that is
    /// not `all`, days with the same pattern joined (`mon-fri 08-18 closed`).
    public var rules: [String] {
        guard isWellFormed else { return ["(malformed schedule)"] }
        var byPattern: [[ScheduleAccess]: [Int]] = [:]
        var order: [[ScheduleAccess]] = []
        for day in 0..<7 {
            let pattern = Array(cells[(day * 24)..<(day * 24 + 24)])
            if byPattern[pattern] == nil { order.append(pattern) }
            byPattern[pattern, default: []].append(day)
        }
        var rules: [String] = []
        for pattern in order where pattern.contains(where: { $0 != .all }) {
            let days = Self.describe(days: byPattern[pattern] ?? [])
            var hour = 0
            while hour < 24 {
                let access = pattern[hour]
                var end = hour
                while end < 24, pattern[end] == access { end += 1 }
                if access != .all { rules.append("\(days) \(String(format: "%02d-%02d", hour, end)) \(access.rawValue)") }
                hour = end
            }
        }
        return rules.isEmpty ? ["open"] : rules
    }

    private static func describe(days: [Int]) -> String {
        if days == Array(0..<7) { return "daily" }
        var runs: [String] = []
        var index = 0
        while index < days.count {
            var end = index
            while end + 1 < days.count, days[end + 1] == days[end] + 1 { end += 1 }
            runs.append(end == index ? dayNames[days[index]] : "\(dayNames[days[index]])-\(dayNames[days[end]])")
            index = end + 1
        }
        return runs.joined(separator: ",")
    }

    private static func parseDays(_ text: String, rule: String) throws -> [Int] {
        if text == "daily" || text == "all" { return Array(0..<7) }
        var days: [Int] = []
        for part in text.split(separator: ",") {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard ends.count <= 2, let first = dayNames.firstIndex(of: ends[0]),
                  let last = ends.count == 2 ? dayNames.firstIndex(of: ends[1]) : first, first <= last else {
                throw TransferPolicyError("schedule rule '\(rule)': days '\(text)' are not like mon, mon-fri, sat,sun or daily")
            }
            days += Array(first...last)
        }
        return days
    }

    private static func parseHours(_ text: String, rule: String) throws -> Range<Int> {
        if text == "all" { return 0..<24 }
        guard let hours = hourRange(text) else {
            throw TransferPolicyError("schedule rule '\(rule)': hours '\(text)' are not START-END with 0 ≤ START < END ≤ 24 (e.g. 08-18)")
        }
        return hours
    }
}

/// How fast the PTM may send to one remote DP, across all of its transfers (SPEC T3).
public enum RateLimit: Codable, Sendable, Equatable {
    /// As fast as the link allows.
    case unlimited
    /// Send a block of `blockKilobytes` KiB, then wait `delaySeconds`.
    case pulse(blockKilobytes: Int, delaySeconds: Double)
    /// For each hour of the day (24 values, 1–100), the largest share of the link to use:
    /// after a block that took t seconds the sender waits t × (100 − p) / p.
    case hourly(percentages: [Int])

    /// Reads `unlimited`, `pulse:KB:SECONDS` (`pulse:64:1`), `PERCENT%` for every hour, or
    /// hourly shares `00-08=100,08-18=20,18-24=100` (hours not named stay at 100 %).
    public static func parse(_ text: String) throws -> RateLimit {
        let value = text.lowercased().trimmingCharacters(in: .whitespaces)
        if value == "unlimited" { return .unlimited }
        if value.hasPrefix("pulse:") {
            let parts = value.dropFirst("pulse:".count).split(separator: ":").map(String.init)
            guard parts.count == 2, let block = Int(parts[0].replacingOccurrences(of: "kb", with: "")),
                  let delay = Double(parts[1].replacingOccurrences(of: "s", with: "")),
                  (1...1_048_576).contains(block), delay > 0, delay <= 3600 else {
                throw TransferPolicyError("rate '\(text)': pulse mode is pulse:KB:SECONDS with 1 ≤ KB ≤ 1048576 and 0 < SECONDS ≤ 3600 (e.g. pulse:64:1)")
            }
            return .pulse(blockKilobytes: block, delaySeconds: delay)
        }
        if value.hasSuffix("%"), let percent = Int(value.dropLast()) {
            guard (1...100).contains(percent) else { throw TransferPolicyError("rate '\(text)': a share is 1–100 %") }
            return percent == 100 ? .unlimited : .hourly(percentages: Array(repeating: percent, count: 24))
        }
        var percentages = Array(repeating: 100, count: 24)
        for part in value.split(separator: ",") {
            let pair = part.split(separator: "=").map(String.init)
            guard pair.count == 2, let hours = hourRange(pair[0]),
                  let percent = Int(pair[1].replacingOccurrences(of: "%", with: "")), (1...100).contains(percent) else {
                throw TransferPolicyError("rate '\(text)' is not unlimited, pulse:KB:SECONDS, PERCENT% or hourly shares like 00-08=100,08-18=20")
            }
            for hour in hours { percentages[hour] = percent }
        }
        return .hourly(percentages: percentages)
    }

    /// Whether the values are in range (a limit decoded from a peer is checked with it).
    public var isWellFormed: Bool {
        switch self {
        case .unlimited: true
        case .pulse(let block, let delay): (1...1_048_576).contains(block) && delay > 0 && delay <= 3600
        case .hourly(let percentages): percentages.count == 24 && percentages.allSatisfy { (1...100).contains($0) }
        }
    }

    /// The limit as `parse` reads it back.
    public var text: String {
        switch self {
        case .unlimited:
            return "unlimited"
        case .pulse(let block, let delay):
            return "pulse:\(block):\(Self.number(delay))"
        case .hourly(let percentages):
            if Set(percentages).count == 1, let only = percentages.first { return "\(only)%" }
            var parts: [String] = []
            var hour = 0
            while hour < min(24, percentages.count) {
                var end = hour
                while end < percentages.count, percentages[end] == percentages[hour] { end += 1 }
                parts.append(String(format: "%02d-%02d=", hour, end) + "\(percentages[hour])")
                hour = end
            }
            return parts.joined(separator: ",")
        }
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// What the PTM needs to know about one DP to schedule and pace transfers to it.
public struct DistributionPointPolicy: Codable, Sendable, Equatable {
    public static let example = DistributionPointPolicy(name: "dp1", revision: 3, onSiteServer: false,
                                                        schedule: .alwaysOpen, rateLimit: .pulse(blockKilobytes: 64, delaySeconds: 1),
                                                        priority: 100)
    /// The priority every DP starts with until a transfer to it is measured (SPEC C7).
    public static let defaultPriority = 100

    public var name: String
    /// Grows with every change at the site; the PTM ignores a policy older than the one it holds.
    public var revision: Int64
    /// A DP on the site server itself has no schedule and no rate limit (SPEC T3).
    public var onSiteServer: Bool
    public var schedule: TransferSchedule
    public var rateLimit: RateLimit
    /// Lower goes first among jobs of equal content priority (SPEC C7).
    public var priority: Int

    public init(name: String, revision: Int64, onSiteServer: Bool, schedule: TransferSchedule, rateLimit: RateLimit, priority: Int) {
        self.name = name
        self.revision = revision
        self.onSiteServer = onSiteServer
        self.schedule = schedule
        self.rateLimit = rateLimit
        self.priority = priority
    }

    /// The schedule that applies: none on the site server.
    public var effectiveSchedule: TransferSchedule { onSiteServer ? .alwaysOpen : schedule }
    /// The rate limit that applies: none on the site server.
    public var effectiveRateLimit: RateLimit { onSiteServer ? .unlimited : rateLimit }
}

/// `START-END` hours of a day, 0 ≤ START < END ≤ 24 (`08-18` is 08:00 up to 18:00); nil otherwise.
func hourRange(_ text: String) -> Range<Int>? {
    let ends = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
    guard ends.count == 2, let start = ends[0], let end = ends[1], (0...23).contains(start), (1...24).contains(end), start < end else {
        return nil
    }
    return start..<end
}

/// A schedule, rate or priority that cannot be used, in words for the administrator.
public struct TransferPolicyError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
