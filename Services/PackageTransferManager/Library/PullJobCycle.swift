import Foundation
import Messages

/// The PTM's cycle for a pull DP's job (SPEC T5), as a pure rule: check that a source
/// holds the version (again every `sourceCheck` until one does), notify the pull DP, then
/// wait for its status; with none for `statusWait`, ask it, and while it is still pulling
/// ask again every `statusPoll`, until it is done.
struct PullJobCycle: Sendable, Equatable {
    /// Where a pull job stands in the PTM.
    enum Phase: String, Codable, Sendable {
        /// No source was seen to hold the version yet (or the notification did not get through).
        case awaitingSource = "awaiting-source"
        /// The pull DP has the job; the PTM waits for its status.
        case notified
        case installed
        case failed
        /// Superseded by a newer version, or the DP was removed.
        case cancelled

        var isOver: Bool { self == .installed || self == .failed || self == .cancelled }
    }

    /// What to do with the job now, and when to look at it next.
    struct Step: Sendable, Equatable {
        var phase: Phase
        var nextCheckAt: Date
        /// Send the site a report of this end (only when the PTM learned it itself).
        var reportsEnd: Bool = false
    }

    static let seedDefaults = PullJobCycle(sourceCheck: 1200, statusWait: 3600, statusPoll: 3600)

    /// Seconds between checks of the sources (seed: 20 minutes).
    var sourceCheck: TimeInterval
    /// Seconds without a status before the PTM asks the pull DP (seed: 60 minutes).
    var statusWait: TimeInterval
    /// Seconds between questions while the pull DP is still pulling (seed: 60 minutes).
    var statusPoll: TimeInterval

    /// After asking the sources: notify when one holds it, else look again later.
    func afterSourceCheck(anyHolds: Bool, now: Date) -> Step {
        anyHolds ? Step(phase: .awaitingSource, nextCheckAt: now) : Step(phase: .awaitingSource, nextCheckAt: now + sourceCheck)
    }

    /// The pull DP took the job.
    func afterNotified(now: Date) -> Step { Step(phase: .notified, nextCheckAt: now + statusWait) }

    /// The notification did not get through: the sources are checked again later.
    func afterNotificationFailed(now: Date) -> Step { Step(phase: .awaitingSource, nextCheckAt: now + sourceCheck) }

    /// The site passed on a status from the pull DP: an end ends the job (the site has it),
    /// anything else starts the wait again.
    func afterStatusHeard(_ state: PullState, now: Date) -> Step {
        switch state {
        case .installed: Step(phase: .installed, nextCheckAt: now)
        case .failed: Step(phase: .failed, nextCheckAt: now)
        case .downloading, .waitingForSource, .unknown: Step(phase: .notified, nextCheckAt: now + statusWait)
        }
    }

    /// The pull DP answered the PTM's question.
    func afterPoll(_ state: PullState, now: Date) -> Step {
        switch state {
        case .installed: Step(phase: .installed, nextCheckAt: now, reportsEnd: true)
        case .failed: Step(phase: .failed, nextCheckAt: now, reportsEnd: true)
        case .downloading, .waitingForSource: Step(phase: .notified, nextCheckAt: now + statusPoll)
        // It lost the job (say its state was wiped): start again with the sources.
        case .unknown: Step(phase: .awaitingSource, nextCheckAt: now)
        }
    }

    /// The pull DP did not answer: ask again after another wait.
    func afterPollFailed(now: Date) -> Step { Step(phase: .notified, nextCheckAt: now + statusPoll) }
}
