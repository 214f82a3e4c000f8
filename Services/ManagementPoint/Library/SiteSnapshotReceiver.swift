import Bus
import GRDB
import Logging
import Messages
import Store

/// Takes the site's snapshots: a newer one is stored and replaces the decoded view, an
/// older one (retries arrive out of order) is acknowledged and ignored, and a jump too
/// far ahead is refused (``SnapshotSequenceRule``).
struct SiteSnapshotReceiver: Sendable {
    let database: ServiceDatabase
    let view: SiteView
    /// The site's DPs, admitted to the bus from each snapshot (pull DPs report here, SPEC P3).
    let admitted: AdmittedPeers
    let logger: Logger
    let sequenceRule: SnapshotSequenceRule

    func register(on dispatcher: inout BusDispatcher) {
        let view = view, admitted = admitted, logger = logger, sequenceRule = sequenceRule, clock = dispatcher.clock
        dispatcher.onCommand(SiteSnapshot.self, database: database) { snapshot, _, db in
            let current = try Int64.fetchOne(db, sql: "SELECT sequence FROM siteSnapshot WHERE id = 1") ?? 0
            switch try sequenceRule.decide(received: snapshot.sequence, held: current) {
            case .older:
                return .skipped("sequence \(snapshot.sequence) is not newer than \(current)")
            case .newer:
                try db.execute(sql: "INSERT OR REPLACE INTO siteSnapshot (id, sequence, snapshot, receivedAt) VALUES (1, ?, ?, ?)",
                               arguments: [snapshot.sequence, try EnvelopeCodec.json(snapshot), clock.now.timeIntervalSince1970])
                // An on-demand distribution that failed may be asked for again at the next
                // client request (SPEC C8), instead of never.
                for point in snapshot.distributionPoints {
                    for versionID in point.failedVersions ?? [] {
                        try db.execute(sql: "DELETE FROM onDemandTrigger WHERE versionID = ? AND distributionPoint = ?",
                                       arguments: [versionID, point.name])
                    }
                }
                return .applied
            }
        } afterCommit: { snapshot in
            view.replace(with: snapshot)
            PullDistributionPointRelay.admit(snapshot, into: admitted)
            logger.info("site snapshot applied", metadata: ["sequence": "\(snapshot.sequence)", "groups": "\(snapshot.boundaryGroups.count)",
                                                            "dps": "\(snapshot.distributionPoints.count)", "contents": "\(snapshot.contents.count)"])
        }
    }
}
