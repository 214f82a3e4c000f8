import Foundation
import Messages

/// Which transfer jobs run now, which stop, and why each of the others waits (SPEC T3, T4,
/// C6, C7).
///
/// A plain rule over the queue: no database, no clock, no sockets. Content priority decides
/// first, then the DP's priority (lower first), then age. At most
/// ``maximumContents`` contents are in transfer at once and at most
/// ``maximumDistributionPointsPerContent`` DPs per content. A job runs only while its DP's
/// schedule admits its priority. A high-priority job that waits for a content slot takes
/// it from the lowest-priority content running: those jobs stop at their next chunk and
/// wait again, keeping what they sent.
struct TransferJobScheduler {
    struct Job: Equatable {
        var jobID: String
        var content: String
        var priority: Priority
        var distributionPoint: String
        /// The DP's priority: lower goes first among equal content priority.
        var distributionPointPriority: Int
        var createdAt: Double
        /// Queued jobs: when a failed attempt may be retried.
        var nextAttemptAt: Double = 0
        /// Queued jobs: attempts made so far.
        var attempts: Int = 0
    }

    /// Why a job does not run now.
    enum Wait: Equatable {
        /// A failed attempt; the next one starts at `at`.
        case retry(attempt: Int, at: Date)
        /// The DP's schedule does not admit the job's priority; `until` is when it opens (nil: never).
        case windowClosed(until: Date?)
        /// Every content slot is taken by jobs ahead of it.
        case contentLimit(ahead: Int)
        /// Its content already sends to the most DPs at once.
        case distributionPointLimit(running: Int)
        /// A lower-priority content was told to give up its slot; this job takes it next.
        case preempting(content: String)
    }

    /// Why a running job must stop at its next chunk.
    enum Stop: Equatable {
        case windowClosed(until: Date?)
        case preempted(by: String)
    }

    struct Decision: Equatable {
        var start: [String] = []
        var stop: [String: Stop] = [:]
        var waiting: [String: Wait] = [:]
    }

    var maximumContents: Int
    var maximumDistributionPointsPerContent: Int

    /// - Parameters:
    ///   - queued: jobs waiting to run.
    ///   - running: jobs running now (including ones already told to stop).
    ///   - stopping: running jobs already told to stop; they keep their slot until they do.
    ///   - isOpen: whether the DP's schedule admits the priority now.
    ///   - nextOpening: when it next will (nil: never).
    func decide(queued: [Job], running: [Job], stopping: Set<String> = [], now: Date,
                isOpen: (_ distributionPoint: String, Priority) -> Bool,
                nextOpening: (_ distributionPoint: String, Priority) -> Date?) -> Decision {
        var decision = Decision()
        var perContent: [String: Int] = [:]
        var contentPriority: [String: Priority] = [:]
        for job in running {
            perContent[job.content, default: 0] += 1
            contentPriority[job.content] = min(contentPriority[job.content] ?? job.priority, job.priority)
            if stopping.contains(job.jobID) { continue }
            if !isOpen(job.distributionPoint, job.priority) {
                decision.stop[job.jobID] = .windowClosed(until: nextOpening(job.distributionPoint, job.priority))
            }
        }
        var yielding = Set(running.filter { stopping.contains($0.jobID) }.map(\.content))
        let time = now.timeIntervalSince1970
        var ahead = running.count
        for job in queued.sorted(by: Self.order) {
            if job.nextAttemptAt > time {
                decision.waiting[job.jobID] = .retry(attempt: job.attempts, at: Date(timeIntervalSince1970: job.nextAttemptAt))
                continue
            }
            if !isOpen(job.distributionPoint, job.priority) {
                decision.waiting[job.jobID] = .windowClosed(until: nextOpening(job.distributionPoint, job.priority))
                continue
            }
            if let count = perContent[job.content] {
                if count < maximumDistributionPointsPerContent {
                    perContent[job.content] = count + 1
                    decision.start.append(job.jobID)
                } else {
                    decision.waiting[job.jobID] = .distributionPointLimit(running: count)
                }
                continue
            }
            if perContent.count < maximumContents {
                perContent[job.content] = 1
                contentPriority[job.content] = job.priority
                decision.start.append(job.jobID)
                continue
            }
            // Every content slot is taken: take one from a lower-priority content if there is one.
            if let victim = Self.victim(below: job.priority, among: contentPriority, yielding: yielding) {
                yielding.insert(victim)
                for other in running where other.content == victim && !stopping.contains(other.jobID) {
                    decision.stop[other.jobID] = .preempted(by: job.content)
                }
                decision.waiting[job.jobID] = .preempting(content: victim)
                continue
            }
            if yielding.contains(where: { (contentPriority[$0] ?? .low) > job.priority }) {
                decision.waiting[job.jobID] = .preempting(content: yielding.sorted().first ?? "")
                continue
            }
            decision.waiting[job.jobID] = .contentLimit(ahead: ahead)
            ahead += 1
        }
        return decision
    }

    /// Content priority, then DP priority, then age.
    static func order(_ left: Job, _ right: Job) -> Bool {
        (rank(left.priority), left.distributionPointPriority, left.createdAt, left.jobID)
            < (rank(right.priority), right.distributionPointPriority, right.createdAt, right.jobID)
    }

    static func rank(_ priority: Priority) -> Int { Priority.allCases.firstIndex(of: priority) ?? 1 }

    /// The running content of lowest priority below `priority` that is not already giving up its slot.
    private static func victim(below priority: Priority, among running: [String: Priority], yielding: Set<String>) -> String? {
        running.filter { $0.value > priority && !yielding.contains($0.key) }
            .max { (rank($0.value), $1.key) < (rank($1.value), $0.key) }?.key
    }
}
