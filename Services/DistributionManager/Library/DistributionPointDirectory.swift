import GRDB
import Messages
import Store

/// The site's DPs as the distribution manager records them: endpoints from the
/// configuration, properties set through the CLI, and what each holds and awaits.
struct DistributionPointDirectory: Sendable {
    let database: ServiceDatabase

    /// Records the configured DPs; endpoints come from the configuration, CLI-set properties stay.
    func register(_ points: [DistributionPointSettings]) async throws {
        try await database.write { db in
            for point in points {
                // Endpoints come from the configuration; properties set through the CLI stay.
                try db.execute(sql: """
                    INSERT INTO distributionPoint (name, busEndpoint, httpURL, publicKey) VALUES (?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET busEndpoint = excluded.busEndpoint, httpURL = excluded.httpURL,
                                                    publicKey = excluded.publicKey
                    """, arguments: [point.name, point.busEndpoint, point.httpURL, point.publicKey])
            }
        }
    }

    func list() async throws -> DistributionPointList {
        try await database.read { db in
            let points = try DistributionPointRecord.order(Column("name")).fetchAll(db)
            return DistributionPointList(points: try points.map { point in
                let installed = try InstalledVersionRecord.filter(Column("distributionPoint") == point.name).fetchCount(db)
                let pending = try TargetRecord.filter(Column("distributionPoint") == point.name)
                    .filter([DistributionState.waiting.rawValue, DistributionState.inProgress.rawValue].contains(Column("state")))
                    .fetchCount(db)
                let groups = try String.fetchAll(db, sql: "SELECT groupName FROM distributionPointGroupMember WHERE distributionPoint = ? ORDER BY groupName",
                                                 arguments: [point.name])
                return DistributionPointSummary(name: point.name, busEndpoint: point.busEndpoint, httpURL: point.httpURL,
                                                installedVersions: installed, pendingVersions: pending,
                                                allowFallback: point.allowFallback, groups: groups)
            })
        }
    }
}
