import Clocks
import Bus
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import Store

/// Boundary groups, and the snapshot of them the management point keeps (SPEC M1, M2).
///
/// The distribution manager owns the site configuration; every change that affects where
/// clients may fetch content queues a fresh ``SiteSnapshot`` for the MP in the same
/// transaction, so the MP's copy can lag but never diverge.
struct SiteTopology: Sendable {
    static let managementPointPeer = "management-point"

    let database: ServiceDatabase
    let clock: any ServiceClock
    let node: String
    /// False when no management point is configured: snapshots would have nowhere to go.
    let publishesSnapshots: Bool

    func createGroup(_ request: CreateBoundaryGroup) async throws -> BoundaryGroupsReply {
        let name = try ContentName.valid(request.name)
        guard !request.ranges.isEmpty else {
            throw WireError(code: .invalidArgument, message: "a boundary group needs at least one --subnet or --range")
        }
        for range in request.ranges { try Self.validate(range) }
        try await database.write { db in
            if try !BoundaryGroupRecord.exists(db, key: name) {
                try BoundaryGroupRecord(name: name, createdAt: clock.now.timeIntervalSince1970).insert(db)
            }
            for range in request.ranges {
                try BoundaryRangeRecord(id: nil, groupName: name, subnet: range.subnet, firstAddress: range.firstAddress,
                                        lastAddress: range.lastAddress).insert(db)
            }
            try enqueueSnapshot(db)
        }
        return try await list()
    }

    func addMember(_ request: AddBoundaryGroupMember) async throws -> BoundaryGroupsReply {
        try await database.write { db in
            guard try BoundaryGroupRecord.exists(db, key: request.group) else {
                throw WireError(code: .notFound, message: "no boundary group named '\(request.group)'")
            }
            _ = try DistributionPointRecord.require(request.member.distributionPoint, db)
            try BoundaryMemberRecord(groupName: request.group, distributionPoint: request.member.distributionPoint,
                                     slow: request.member.slow).save(db)
            try enqueueSnapshot(db)
        }
        return try await list()
    }

    func list() async throws -> BoundaryGroupsReply {
        try await database.read { db in BoundaryGroupsReply(groups: try Self.groups(db)) }
    }

    /// Queues the MP's new picture of the site; call inside the transaction that changed it.
    func enqueueSnapshot(_ db: Database) throws {
        guard publishesSnapshots else { return }
        let sequence = (try Int64.fetchOne(db, sql: "SELECT sequence FROM snapshotSequence WHERE id = 1") ?? 0) + 1
        try db.execute(sql: "INSERT OR REPLACE INTO snapshotSequence (id, sequence) VALUES (1, ?)", arguments: [sequence])
        let points = try DistributionPointRecord.order(Column("name")).fetchAll(db).map { point in
            LocatableDistributionPoint(
                name: point.name, httpURL: point.httpURL,
                installedVersions: try String.fetchAll(db, sql: "SELECT versionID FROM installedVersion WHERE distributionPoint = ? ORDER BY versionID",
                                                       arguments: [point.name]),
                allowFallback: point.allowFallback,
                failedVersions: try String.fetchAll(db, sql: "SELECT versionID FROM distributionTarget WHERE distributionPoint = ? AND state = ? ORDER BY versionID",
                                                    arguments: [point.name, DistributionState.failed.rawValue]),
                publicKey: point.publicKey,
                pullSources: point.isPull ? try point.rankedSources().map(\.name) : nil)
        }
        let contents = try Row.fetchAll(db, sql: """
            SELECT content.name AS name, contentVersion.versionID AS versionID, content.distributeOnDemand AS onDemand FROM content
            JOIN contentVersion ON contentVersion.contentName = content.name AND contentVersion.number = content.currentVersion
            ORDER BY content.name
            """).map { LocatableContent(name: $0["name"], currentVersionID: $0["versionID"], distributeOnDemand: $0["onDemand"]) }
        let snapshot = SiteSnapshot(sequence: sequence, boundaryGroups: try Self.groups(db), distributionPoints: points, contents: contents,
                                    deployments: try Deployments.active(db), collections: try Deployments.collections(db))
        try Outbox.enqueue(db, snapshot, to: Self.managementPointPeer, sender: node, now: clock.now)
    }

    static func groups(_ db: Database) throws -> [BoundaryGroup] {
        try BoundaryGroupRecord.order(Column("name")).fetchAll(db).map { group in
            let ranges = try BoundaryRangeRecord.filter(Column("groupName") == group.name).order(Column("id")).fetchAll(db)
            let members = try BoundaryMemberRecord.filter(Column("groupName") == group.name).order(Column("distributionPoint")).fetchAll(db)
            return BoundaryGroup(
                name: group.name,
                ranges: ranges.map { BoundaryRange(subnet: $0.subnet, firstAddress: $0.firstAddress, lastAddress: $0.lastAddress) },
                members: members.map { BoundaryGroupMember(distributionPoint: $0.distributionPoint, slow: $0.slow) })
        }
    }

    static func validate(_ range: BoundaryRange) throws {
        do {
            switch (range.subnet, range.firstAddress, range.lastAddress) {
            case (let subnet?, nil, nil): _ = try AddressRange(subnet: subnet)
            case (nil, let first?, let last?): _ = try AddressRange(first: first, last: last)
            default: throw ConfigurationError("a range is either a subnet or a first and last address")
            }
        } catch let error as ConfigurationError {
            throw WireError(code: .invalidArgument, message: error.description)
        }
    }
}
