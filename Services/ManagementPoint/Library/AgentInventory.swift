import Bus
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import Store

/// The agents the MP serves: their registrations and heartbeats (SPEC S5), the policy it
/// hands them, and their deployment status, relayed to the site effectively once.
struct AgentInventory: Sendable {
    let database: ServiceDatabase
    let view: SiteView
    let node: String
    let relays: Bool
    let logger: Logger
    let pump: OutboxPump

    func register(on dispatcher: inout BusDispatcher) {
        let clock = dispatcher.clock
        dispatcher.onCommand(AgentRegistration.self, database: database) { registration, envelope, db in
            try envelope.requireAgentSelf(registration.agent)
            try Self.validate(registration)
            try Self.requireConnectionAddress(registration, envelope)
            try db.execute(sql: "INSERT OR REPLACE INTO agent (name, address, subnet, lastSeen, cachedVersions) VALUES (?, ?, ?, ?, ?)",
                           arguments: [registration.agent, registration.address, registration.subnet, clock.now.timeIntervalSince1970,
                                       registration.cachedVersions.joined(separator: ",")])
            return .applied
        }
        dispatcher.on(PolicyQuery.self) { query, envelope in
            try envelope.requireAgentSelf(query.agent)
            let address = try await database.read { db in
                try String.fetchOne(db, sql: "SELECT address FROM agent WHERE name = ?", arguments: [query.agent])
            }
            guard let address else { throw WireError(code: .notFound, message: "agent '\(query.agent)' has not registered") }
            guard let snapshot = try await view.index(loading: { try await LocationService.storedSnapshot(database) })?.snapshot else {
                return PolicyReply(deployments: [])
            }
            let numeric = AddressRange.parse(address) ?? 0
            return PolicyReply(deployments: snapshot.deployments.filter { deployment in
                Self.isMember(agent: query.agent, address: numeric, of: deployment.collection, in: snapshot.collections)
            })
        }
        dispatcher.onCommand(AgentStatusReport.self, database: database) { [node, relays] report, envelope, db in
            let status = report.status
            try envelope.requireAgentSelf(status.agent)
            let current = try Double.fetchOne(db, sql: "SELECT updatedAt FROM agentStatus WHERE agent = ? AND deploymentID = ?",
                                              arguments: [status.agent, status.deploymentID]) ?? 0
            guard status.updatedAt.timeIntervalSince1970 >= current else { return .skipped("an older status of \(status.agent)") }
            try db.execute(sql: "INSERT OR REPLACE INTO agentStatus (agent, deploymentID, status, updatedAt) VALUES (?, ?, ?, ?)",
                           arguments: [status.agent, status.deploymentID, try EnvelopeCodec.json(status), status.updatedAt.timeIntervalSince1970])
            try Self.noteCached(status, view: view, db)
            if relays { try Outbox.enqueue(db, report, to: "distribution-manager", sender: node, now: clock.now) }
            return .applied
        } afterCommit: { report in
            logger.info("agent status", metadata: ["agent": "\(report.status.agent)", "deployment": "\(report.status.deploymentID)",
                                                   "state": "\(report.status.state)", "detail": "\(report.status.detail ?? "-")"])
            pump.wake()
        }
        dispatcher.on(ListAgents.self) { _, _ in
            try await database.read { db in
                AgentList(agents: try Row.fetchAll(db, sql: "SELECT * FROM agent ORDER BY name").map { row in
                    let cached: String = row["cachedVersions"]
                    return AgentSummary(name: row["name"], address: row["address"], subnet: row["subnet"],
                                        lastSeen: Date(timeIntervalSince1970: row["lastSeen"]),
                                        cachedVersions: cached.split(separator: ",").map(String.init))
                })
            }
        }
    }

    /// An agent that reports a deployment cached holds its version now, not only at its next
    /// heartbeat: the inventory (`ferry agent list`) says so at once.
    static func noteCached(_ status: AgentDeploymentState, view: SiteView, _ db: Database) throws {
        guard status.state.holdsContent,
              let deployment = view.loaded?.snapshot.deployments.first(where: { $0.id == status.deploymentID }),
              let row = try Row.fetchOne(db, sql: "SELECT cachedVersions FROM agent WHERE name = ?", arguments: [status.agent]) else { return }
        let entry = "\(deployment.content)@\(deployment.versionID)"
        var cached = (row["cachedVersions"] as String).split(separator: ",").map(String.init)
        guard !cached.contains(entry) else { return }
        cached.append(entry)
        try db.execute(sql: "UPDATE agent SET cachedVersions = ? WHERE name = ?", arguments: [cached.sorted().joined(separator: ","), status.agent])
    }

    /// "All Systems" holds every agent; other collections hold the agents they name and
    /// every agent whose address lies in one of their subnets.
    static func isMember(agent: String, address: UInt32, of collection: String, in collections: [CollectionDefinition]) -> Bool {
        if collection == "All Systems" { return true }
        guard let definition = collections.first(where: { $0.name == collection }) else { return false }
        return definition.agents.contains(agent)
            || definition.subnets.contains { (try? AddressRange(subnet: $0))?.contains(address) ?? false }
    }

    /// An agent registers the address its connection comes from: the MP answers location
    /// requests and issues tokens for that address, so a claimed one proves nothing.
    static func requireConnectionAddress(_ registration: AgentRegistration, _ envelope: Envelope) throws {
        guard let peer = envelope.peer, peer.role == .agent, let connected = peer.address, connected != registration.address else { return }
        throw WireError(code: .notAuthorized,
                        message: "agent '\(registration.agent)' registers address \(registration.address.prefix(64)) but connects from \(connected); set its 'address' to the one it connects from")
    }

    static func validate(_ registration: AgentRegistration) throws {
        guard !registration.agent.isEmpty, registration.agent.count <= 128 else {
            throw WireError(code: .invalidArgument, message: "an agent needs a name of 1-128 characters")
        }
        guard AddressRange.parse(registration.address) != nil else {
            throw WireError(code: .invalidArgument, message: "agent '\(registration.agent)': '\(registration.address.prefix(64))' is not an IPv4 address")
        }
        guard (try? AddressRange(subnet: registration.subnet)) != nil else {
            throw WireError(code: .invalidArgument, message: "agent '\(registration.agent)': '\(registration.subnet.prefix(64))' is not an IPv4 subnet")
        }
    }
}
