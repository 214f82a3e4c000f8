import Bus
import Clocks
import GRDB
import Messages
import Store

/// Keeps the PTM's copy of the site's transfer policies (schedules, rate limits, DP and
/// content priorities) in step with the site's database (SPEC T3, C6, C7).
///
/// Every change queues a ``TransferPolicyUpdate`` in the transaction that makes it, so the
/// PTM can lag but never miss one; each DP policy carries a site-wide revision that grows
/// with every change, and the PTM keeps only the newest it has seen.
struct TransferPolicyPublisher: Sendable {
    let clock: any ServiceClock
    let node: String

    /// Gives the DP the next revision and queues its policy for the PTM.
    func publish(_ point: inout DistributionPointRecord, _ db: Database) throws {
        point.policyRevision = try nextRevision(db)
        try point.update(db)
        try send(TransferPolicyUpdate(policies: [try point.policy()]), db)
    }

    /// Tells the PTM a DP left the site: its queued jobs are dropped, running ones stopped.
    func publishRemoval(of name: String, _ db: Database) throws {
        try send(TransferPolicyUpdate(removedDistributionPoints: [name]), db)
    }

    /// Re-ranks a content's queued and running jobs.
    func publishPriority(of content: String, _ priority: Priority, _ db: Database) throws {
        try send(TransferPolicyUpdate(contentPriorities: [ContentPriority(content: content, priority: priority)]), db)
    }

    /// The whole picture, queued at start: a PTM that lost its state (or is new) gets every
    /// policy; one that holds them ignores the revisions it has.
    func publishAll(_ db: Database) throws {
        let points = try DistributionPointRecord.order(DistributionPointRecord.Columns.name).fetchAll(db)
        let removed = try String.fetchAll(db, sql: "SELECT name FROM removedDistributionPoint ORDER BY name")
        try send(TransferPolicyUpdate(policies: try points.map { try $0.policy() }, removedDistributionPoints: removed), db)
    }

    private func send(_ update: TransferPolicyUpdate, _ db: Database) throws {
        try Outbox.enqueue(db, update, to: Distributions.transferManagerPeer, sender: node, now: clock.now)
    }

    private func nextRevision(_ db: Database) throws -> Int64 {
        // Never below the time in milliseconds: a site whose database was restored or rebuilt
        // still outranks the revisions the PTM already holds.
        let previous = try Int64.fetchOne(db, sql: "SELECT revision FROM policyRevision WHERE id = 1") ?? 0
        let revision = max(previous + 1, Int64(clock.now.timeIntervalSince1970 * 1000))
        try db.execute(sql: "INSERT OR REPLACE INTO policyRevision (id, revision) VALUES (1, ?)", arguments: [revision])
        return revision
    }
}
