import Bus
import Foundation
import GRDB
import Messages
import Store

extension Distributions {
    /// Retires the versions a full version replaced once every target holds it (SPEC C3,
    /// ``VersionChainRule``); runs inside the transaction that made the change (a version
    /// installed, a new version, a deployment replaced), so a crash retires all or nothing.
    ///
    /// Retiring removes the version rows, queues one `version.retire` job to the PTM for each
    /// DP holding one of them, and leaves a `retiredVersion` row for each, from which the
    /// ``LibraryCollector`` drops their manifests and unused chunks from the site library. A
    /// version id that another kept version has too (a content changed back, or two contents
    /// with the same files) stays on the DPs and in the library.
    @discardableResult
    func retireReplacedVersions(of contentName: String, _ db: Database) throws -> [Int] {
        let versions = try VersionRecord.filter(Column("contentName") == contentName).fetchAll(db)
        let numberByID = Dictionary(versions.map { ($0.versionID, $0.number) }, uniquingKeysWith: max)
        let targets = try String.fetchAll(db, sql: "SELECT distributionPoint FROM distributionTarget WHERE contentName = ?", arguments: [contentName])
        let holding: [Int?] = try targets.map { point in
            try String.fetchAll(db, sql: "SELECT versionID FROM installedVersion WHERE distributionPoint = ?", arguments: [point])
                .compactMap { numberByID[$0] }.max()
        }
        // A deployment names a version; the newest one per collection stays until it is replaced.
        let pinnedIDs = try String.fetchAll(db, sql: """
            SELECT versionID FROM deployment AS d WHERE content = ?
            AND createdAt = (SELECT MAX(createdAt) FROM deployment WHERE content = d.content AND collection = d.collection)
            """, arguments: [contentName])
        let pinned = Set(pinnedIDs.compactMap { numberByID[$0] })
        let retiring = chains.retirable(versions.map { VersionChainRule.Version(number: $0.number, chainPosition: $0.chainPosition) },
                                        targetsHolding: holding, pinned: pinned)
        guard !retiring.isEmpty else { return [] }
        let retired = versions.filter { retiring.contains($0.number) }
        let now = clock.now
        for version in retired {
            try db.execute(sql: "DELETE FROM contentVersion WHERE contentName = ? AND number = ?", arguments: [contentName, version.number])
            try db.execute(sql: "INSERT OR REPLACE INTO retiredVersion (contentName, number, versionID, retiredAt) VALUES (?, ?, ?, ?)",
                           arguments: [contentName, version.number, version.versionID, now.timeIntervalSince1970])
        }
        let stillKept = Set(try String.fetchAll(db, sql: "SELECT DISTINCT versionID FROM contentVersion"))
        let gone = Set(retired.map(\.versionID)).subtracting(stillKept)
        if !gone.isEmpty {
            let placeholders = Array(repeating: "?", count: gone.count).joined(separator: ",")
            let rows = try Row.fetchAll(db, sql: "SELECT distributionPoint, versionID FROM installedVersion WHERE versionID IN (\(placeholders))",
                                        arguments: StatementArguments(Array(gone)))
            for (point, held) in Dictionary(grouping: rows, by: { $0["distributionPoint"] as String }) {
                guard let record = try DistributionPointRecord.fetchOne(db, key: point) else { continue }
                let job = VersionRetirementJob(jobID: UUID(), contentName: contentName, versionIDs: held.map { $0["versionID"] as String }.sorted(),
                                               distributionPoint: DistributionPointAddress(name: record.name, busEndpoint: record.busEndpoint,
                                                                                           httpURL: record.httpURL, publicKey: record.publicKey ?? ""))
                try Outbox.enqueue(db, job, to: Self.transferManagerPeer, sender: node, now: now)
            }
            try db.execute(sql: "DELETE FROM installedVersion WHERE versionID IN (\(placeholders))", arguments: StatementArguments(Array(gone)))
            try db.execute(sql: "DELETE FROM validationFinding WHERE versionID IN (\(placeholders))", arguments: StatementArguments(Array(gone)))
        }
        try topology.enqueueSnapshot(db)
        logger.info("versions retired", metadata: ["content": "\(contentName)", "versions": "\(retiring.map(String.init).joined(separator: ","))",
                                                   "full-version": "\(versions.filter { $0.chainPosition == 0 }.map(\.number).max() ?? 0)"])
        return retiring
    }
}
