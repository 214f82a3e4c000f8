import Bus
import Foundation
import GRDB
import Messages
import Store

extension Distributions {
    /// Applies a pull DP's status, relayed by the MP (SPEC P3, T5); runs in the command's
    /// inbox transaction. The target shows the state and the source in the columns a
    /// standard DP's target uses; the PTM is told, so its status wait starts again or ends.
    ///
    /// A status for a job the target no longer waits for (a newer version was sent since, or
    /// the DP was removed) changes nothing; neither does any status once the target is
    /// installed or failed, so a status that arrives twice (the PTM's poll and the MP's relay)
    /// applies once.
    func applyPullStatus(_ report: PullStatusReport, _ db: Database) throws -> Bool {
        let status = report.status
        guard try DistributionPointRecord.exists(db, key: status.distributionPoint),
              var target = try TargetRecord.filter(Column("jobID") == status.jobID.uuidString).fetchOne(db),
              target.distributionPoint == status.distributionPoint,
              target.state == .waiting || target.state == .inProgress else { return false }
        let now = clock.now.timeIntervalSince1970
        switch status.state {
        case .installed:
            try InstalledVersionRecord(distributionPoint: status.distributionPoint, versionID: status.versionID, installedAt: now).save(db)
            target.state = .installed
            target.bytesDone = target.bytesTotal
        case .failed:
            target.state = .failed
        case .downloading:
            target.state = .inProgress
            target.bytesDone = status.bytesDone
        case .waitingForSource, .unknown:
            target.state = .waiting
        }
        target.reason = Self.pullReason(status)
        target.updatedAt = now
        try target.update(db)
        if status.state.isFinal { try topology.enqueueSnapshot(db) }
        if status.state == .installed { try retireReplacedVersions(of: target.contentName, db) }
        try Outbox.enqueue(db, PullStatusNotice(jobID: status.jobID, state: status.state, updatedAt: status.updatedAt),
                           to: Self.transferManagerPeer, sender: node, now: clock.now)
        return true
    }

    /// "pull DP, from dp1: …", the words `ferry status` shows for a pull DP's target.
    static func pullReason(_ status: PullJobStatus) -> String {
        let from = status.source.map { ", from \($0)" } ?? ""
        return "pull DP\(from): \(status.detail ?? status.state.rawValue)"
    }
}
