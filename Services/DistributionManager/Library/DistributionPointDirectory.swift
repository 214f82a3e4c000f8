import GRDB
import Logging
import Messages
import Store

/// The site's DPs as the distribution manager records them: endpoints from the
/// configuration or `ferry dp add`, properties set through the CLI, and what each holds
/// and awaits.
struct DistributionPointDirectory: Sendable {
    let database: ServiceDatabase

    /// Records the configured DPs; endpoints come from the configuration, CLI-set properties
    /// stay, and a DP removed with `ferry dp remove` is not added back. Returns those skipped.
    @discardableResult
    func register(_ points: [DistributionPointSettings]) async throws -> [String] {
        try await database.write { db in
            var skipped: [String] = []
            for point in points {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM removedDistributionPoint WHERE name = ?", arguments: [point.name]) == true {
                    skipped.append(point.name)
                    continue
                }
                try db.execute(sql: """
                    INSERT INTO distributionPoint (name, busEndpoint, httpURL, publicKey) VALUES (?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET busEndpoint = excluded.busEndpoint, httpURL = excluded.httpURL,
                                                    publicKey = excluded.publicKey
                    """, arguments: [point.name, point.busEndpoint, point.httpURL, point.publicKey])
            }
            return skipped
        }
    }

    func list() async throws -> DistributionPointList {
        try await database.read { db in
            let points = try DistributionPointRecord.order(DistributionPointRecord.Columns.name).fetchAll(db)
            return DistributionPointList(points: try points.map { try Self.summary($0, db) })
        }
    }

    /// The DP's public keys by name, for asking each DP directly.
    func publicKeys() async throws -> [String: String] {
        try await database.read { db in
            let points = try DistributionPointRecord.fetchAll(db)
            return Dictionary(points.compactMap { point in point.publicKey.map { (point.name, $0) } }, uniquingKeysWith: { $1 })
        }
    }

    static func summary(_ point: DistributionPointRecord, _ db: Database) throws -> DistributionPointSummary {
        let installed = try InstalledVersionRecord.filter(Column("distributionPoint") == point.name).fetchCount(db)
        let pending = try TargetRecord.filter(Column("distributionPoint") == point.name)
            .filter([DistributionState.waiting.rawValue, DistributionState.inProgress.rawValue].contains(Column("state")))
            .fetchCount(db)
        let groups = try String.fetchAll(db, sql: "SELECT groupName FROM distributionPointGroupMember WHERE distributionPoint = ? ORDER BY groupName",
                                         arguments: [point.name])
        let policy = try point.policy()
        return DistributionPointSummary(name: point.name, busEndpoint: point.busEndpoint, httpURL: point.httpURL,
                                        installedVersions: installed, pendingVersions: pending,
                                        allowFallback: point.allowFallback, groups: groups,
                                        priority: point.priority, priorityIsManual: point.priorityManual, onSiteServer: point.onSiteServer,
                                        schedule: policy.schedule.rules, rateLimit: policy.rateLimit.text,
                                        pullSources: try point.rankedSources(), prestaged: point.prestaged,
                                        validationIntervalSeconds: point.validationIntervalSeconds,
                                        validationIntervalIsOwn: point.validationIntervalSeconds != nil)
    }
}
