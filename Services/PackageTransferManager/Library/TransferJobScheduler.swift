import Foundation

/// Which queued transfer jobs the PTM starts next (SPEC T4, C6).
///
/// A pure rule over the queue's columns and the clock's time, so tests state cases
/// without a database: a job is due once its next attempt time has come; due jobs start
/// by content priority (high first), then oldest first, while fewer than the maximum run.
/// Schedules, rate limits and the per-content DP limit build on this rule.
struct TransferJobScheduler {
    /// What the rule needs of a queued job.
    struct Candidate: Equatable {
        var jobID: String
        /// 0 high, 1 medium, 2 low (``Priority``'s order).
        var priorityRank: Int
        var createdAt: Double
        var nextAttemptAt: Double
    }

    var maximumConcurrentJobs: Int

    /// The jobs to start now, in start order.
    func next(queued: [Candidate], running: Int, now: Date) -> [String] {
        let free = maximumConcurrentJobs - running
        guard free > 0 else { return [] }
        let time = now.timeIntervalSince1970
        return queued
            .filter { $0.nextAttemptAt <= time }
            .sorted { ($0.priorityRank, $0.createdAt, $0.jobID) < ($1.priorityRank, $1.createdAt, $1.jobID) }
            .prefix(free)
            .map(\.jobID)
    }
}
