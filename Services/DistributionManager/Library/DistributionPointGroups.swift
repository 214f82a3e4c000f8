import Clocks
import Foundation
import GRDB
import Logging
import Messages
import Store

/// DP groups and their association with collections (SPEC C4).
///
/// A group keeps every content distributed to it, so a DP added later is sent each one in
/// the same transaction that adds it. Associating a collection moves nothing: content
/// already distributed to the collection reaches the group at its next distribution.
struct DistributionPointGroups: Sendable {
    let database: ServiceDatabase
    let clock: any ServiceClock
    let distributions: Distributions
    let logger: Logger

    func create(_ request: CreateDistributionPointGroup) async throws -> DistributionPointGroupsReply {
        let name = try ContentName.valid(request.name)
        try await database.write { db in
            guard try Row.fetchOne(db, sql: "SELECT name FROM distributionPointGroup WHERE name = ?", arguments: [name]) == nil else {
                throw WireError(code: .conflict, message: "DP group '\(name)' already exists; add DPs with 'ferry dp-group add \(name) DP'")
            }
            try db.execute(sql: "INSERT INTO distributionPointGroup (name, createdAt) VALUES (?, ?)", arguments: [name, clock.now.timeIntervalSince1970])
            for point in request.distributionPoints {
                _ = try DistributionPointRecord.require(point, db)
                try db.execute(sql: "INSERT OR IGNORE INTO distributionPointGroupMember (groupName, distributionPoint) VALUES (?, ?)",
                               arguments: [name, point])
            }
        }
        return try await list(queued: [])
    }

    /// Adds the DP and queues every content the group holds for it.
    func add(_ request: AddDistributionPointGroupMember) async throws -> DistributionPointGroupsReply {
        let queued = try await database.write { [distributions] db -> [String] in
            try Self.requireGroup(request.group, db)
            _ = try DistributionPointRecord.require(request.distributionPoint, db)
            try db.execute(sql: "INSERT OR IGNORE INTO distributionPointGroupMember (groupName, distributionPoint) VALUES (?, ?)",
                           arguments: [request.group, request.distributionPoint])
            var queued: [String] = []
            let contents = try String.fetchAll(db, sql: "SELECT contentName FROM distributionPointGroupContent WHERE groupName = ? ORDER BY contentName",
                                               arguments: [request.group])
            for name in contents {
                guard let record = try ContentRecord.fetchOne(db, key: name),
                      let version = try VersionRecord.fetchOne(db, key: ["contentName": name, "number": record.currentVersion]) else { continue }
                let accepted = try distributions.queue(db, content: record, version: version,
                                                 targets: [(request.distributionPoint, "dp group \(request.group)")], redistribute: false)
                queued += accepted.queued.map { "\(name) → \($0)" }
            }
            return queued
        }
        for item in queued { logger.info("queued transfer job for a new group member", metadata: ["group": "\(request.group)", "job": "\(item)"]) }
        return try await list(queued: queued)
    }

    /// Removes the DP from the group; the content it holds stays where it is.
    func remove(_ request: RemoveDistributionPointGroupMember) async throws -> DistributionPointGroupsReply {
        try await database.write { db in
            try Self.requireGroup(request.group, db)
            try db.execute(sql: "DELETE FROM distributionPointGroupMember WHERE groupName = ? AND distributionPoint = ?",
                           arguments: [request.group, request.distributionPoint])
            guard db.changesCount > 0 else {
                throw WireError(code: .notFound, message: "'\(request.distributionPoint)' is not in DP group '\(request.group)'")
            }
        }
        return try await list(queued: [])
    }

    func associate(_ request: AssociateCollection) async throws -> DistributionPointGroupsReply {
        try await database.write { db in
            let collection = try Deployments.collectionName(request.collection, db)
            try Self.requireGroup(request.distributionPointGroup, db)
            try db.execute(sql: "INSERT OR IGNORE INTO collectionGroup (collection, groupName) VALUES (?, ?)",
                           arguments: [collection, request.distributionPointGroup])
        }
        return try await list(queued: [])
    }

    func list(queued: [String]) async throws -> DistributionPointGroupsReply {
        try await database.read { db in
            let names = try String.fetchAll(db, sql: "SELECT name FROM distributionPointGroup ORDER BY name")
            return DistributionPointGroupsReply(groups: try names.map { name in
                DistributionPointGroup(
                    name: name,
                    distributionPoints: try String.fetchAll(db, sql: "SELECT distributionPoint FROM distributionPointGroupMember WHERE groupName = ? ORDER BY distributionPoint",
                                                            arguments: [name]),
                    contents: try String.fetchAll(db, sql: "SELECT contentName FROM distributionPointGroupContent WHERE groupName = ? ORDER BY contentName",
                                                  arguments: [name]),
                    collections: try String.fetchAll(db, sql: "SELECT collection FROM collectionGroup WHERE groupName = ? ORDER BY collection",
                                                     arguments: [name]))
            }, queued: queued)
        }
    }

    static func requireGroup(_ name: String, _ db: Database) throws {
        guard try Row.fetchOne(db, sql: "SELECT name FROM distributionPointGroup WHERE name = ?", arguments: [name]) != nil else {
            let known = try String.fetchAll(db, sql: "SELECT name FROM distributionPointGroup ORDER BY name")
            throw WireError(code: .notFound, message: "no DP group named '\(name)'" + (known.isEmpty ? "" : " (known: \(known.joined(separator: ", ")))"))
        }
    }
}
