import Clocks
import Bus
import Foundation
import GRDB
import Messages
import ServiceKit
import Store

/// Deployments of content to collections, and the agents' state on them.
///
/// "All Systems" always exists and holds every agent; other collections name agents or
/// subnets. A deployment
/// targets the content's current version; deploying again after an update replaces it.
struct Deployments: Sendable {
    static let allSystems = "All Systems"

    let database: ServiceDatabase
    let clock: any ServiceClock
    let topology: SiteTopology
    /// Retires versions a deployment no longer holds back (SPEC C3).
    let distributions: Distributions

    func deploy(_ request: Deploy) async throws -> DeploymentReply {
        if request.deadline != nil, request.command == nil {
            throw WireError(code: .invalidArgument, message: "a deadline says when the command runs: give --run too")
        }
        if let delay = request.multicastDelaySeconds, !(delay.isFinite && delay >= 0 && delay <= 86_400) {
            throw WireError(code: .invalidArgument, message: "the multicast start delay must be between 0 and 86400 seconds")
        }
        if request.cacheOnly, request.command != nil {
            throw WireError(code: .invalidArgument, message: "--cache-only runs nothing: leave out --run")
        }
        let policy = try await database.write { [topology, distributions] db -> DeploymentPolicy in
            guard let content = try ContentRecord.fetchOne(db, key: request.content),
                  let version = try VersionRecord.fetchOne(db, key: ["contentName": content.name, "number": content.currentVersion]) else {
                throw WireError(code: .notFound, message: "no content named '\(request.content)'")
            }
            let collection = try Self.collectionName(request.collection, db)
            let policy = DeploymentPolicy(id: "\(content.name)-v\(version.number)", content: content.name, versionID: version.versionID,
                                          collection: collection, command: request.command, cacheOnly: request.cacheOnly,
                                          deadline: request.deadline, allowFallback: request.allowFallback, slowNetwork: request.slowNetwork,
                                          multicast: request.multicast, multicastDelaySeconds: request.multicastDelaySeconds)
            try db.execute(sql: """
                INSERT OR REPLACE INTO deployment (id, content, versionID, collection, command, cacheOnly, createdAt, deadline,
                                                   allowFallback, slowNetwork, multicast, multicastDelaySeconds)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [policy.id, policy.content, policy.versionID, policy.collection, policy.command, policy.cacheOnly,
                                 clock.now.timeIntervalSince1970, policy.deadline?.timeIntervalSince1970, policy.allowFallback,
                                 policy.slowNetwork.rawValue, policy.multicast, policy.multicastDelaySeconds])
            try topology.enqueueSnapshot(db)
            // The deployment this one replaced may have been what kept older versions.
            try distributions.retireReplacedVersions(of: content.name, db)
            return policy
        }
        return DeploymentReply(deployment: policy, agents: [])
    }

    func status(_ content: String) async throws -> DeploymentReply {
        try await database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM deployment WHERE content = ? ORDER BY createdAt DESC LIMIT 1",
                                             arguments: [content]) else {
                throw WireError(code: .notFound, message: "'\(content)' has not been deployed")
            }
            let policy = Self.policy(row)
            let agents = try Data.fetchAll(db, sql: "SELECT status FROM agentDeploymentStatus WHERE deploymentID = ? ORDER BY agent",
                                           arguments: [policy.id]).compactMap { try? EnvelopeCodec.value(AgentDeploymentState.self, from: $0) }
            return DeploymentReply(deployment: policy, agents: agents)
        }
    }

    /// Applies an agent's state relayed by the MP; an older report never replaces a newer one.
    func apply(_ report: AgentStatusReport, _ db: Database) throws {
        let status = report.status
        let current = try Double.fetchOne(db, sql: "SELECT updatedAt FROM agentDeploymentStatus WHERE agent = ? AND deploymentID = ?",
                                          arguments: [status.agent, status.deploymentID]) ?? 0
        guard status.updatedAt.timeIntervalSince1970 >= current else { return }
        try db.execute(sql: "INSERT OR REPLACE INTO agentDeploymentStatus (agent, deploymentID, status, updatedAt) VALUES (?, ?, ?, ?)",
                       arguments: [status.agent, status.deploymentID, try EnvelopeCodec.json(status), status.updatedAt.timeIntervalSince1970])
    }

    func createCollection(_ request: CreateCollection) async throws -> CollectionList {
        let definition = request.collection
        let name = try ContentName.valid(definition.name)
        guard name.caseInsensitiveCompare(Self.allSystems) != .orderedSame else {
            throw WireError(code: .conflict, message: "'\(Self.allSystems)' always exists and holds every agent")
        }
        guard !definition.agents.isEmpty || !definition.subnets.isEmpty else {
            throw WireError(code: .invalidArgument, message: "a collection needs at least one --agent or --subnet")
        }
        for subnet in definition.subnets {
            guard (try? AddressRange(subnet: subnet)) != nil else {
                throw WireError(code: .invalidArgument, message: "'\(subnet)' is not an IPv4 subnet like 10.1.2.0/24")
            }
        }
        try await database.write { [topology] db in
            guard try Row.fetchOne(db, sql: "SELECT name FROM collection WHERE name = ?", arguments: [name]) == nil else {
                throw WireError(code: .conflict, message: "collection '\(name)' already exists")
            }
            let stored = CollectionDefinition(name: name, agents: definition.agents, subnets: definition.subnets)
            try db.execute(sql: "INSERT INTO collection (name, definition) VALUES (?, ?)", arguments: [name, try EnvelopeCodec.json(stored)])
            try topology.enqueueSnapshot(db)
        }
        return try await listCollections()
    }

    func listCollections() async throws -> CollectionList {
        try await database.read { db in
            CollectionList(collections: [CollectionDefinition(name: Self.allSystems, agents: [], subnets: ["0.0.0.0/0"])] + (try Self.collections(db)))
        }
    }

    /// The stored spelling of an existing collection, or a not-found error listing them.
    static func collectionName(_ requested: String, _ db: Database) throws -> String {
        if requested.caseInsensitiveCompare(allSystems) == .orderedSame { return allSystems }
        if try Row.fetchOne(db, sql: "SELECT name FROM collection WHERE name = ?", arguments: [requested]) != nil { return requested }
        let known = [allSystems] + (try collections(db).map(\.name))
        throw WireError(code: .notFound, message: "no collection named '\(requested)' (known: \(known.joined(separator: ", ")))")
    }

    static func collections(_ db: Database) throws -> [CollectionDefinition] {
        try Data.fetchAll(db, sql: "SELECT definition FROM collection ORDER BY name").map { try EnvelopeCodec.value(CollectionDefinition.self, from: $0) }
    }

    /// The newest deployment of every content.
    static func active(_ db: Database) throws -> [DeploymentPolicy] {
        try Row.fetchAll(db, sql: """
            SELECT * FROM deployment d WHERE createdAt = (SELECT MAX(createdAt) FROM deployment WHERE content = d.content) ORDER BY content
            """).map(policy)
    }

    static func policy(_ row: Row) -> DeploymentPolicy {
        DeploymentPolicy(id: row["id"], content: row["content"], versionID: row["versionID"], collection: row["collection"],
                         command: row["command"], cacheOnly: row["cacheOnly"],
                         deadline: (row["deadline"] as Double?).map { Date(timeIntervalSince1970: $0) },
                         allowFallback: row["allowFallback"],
                         slowNetwork: SlowNetworkBehavior(rawValue: row["slowNetwork"]) ?? .download,
                         multicast: row["multicast"], multicastDelaySeconds: row["multicastDelaySeconds"])
    }
}
