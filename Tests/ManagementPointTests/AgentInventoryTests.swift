import Foundation
import GRDB
@testable import ManagementPoint
import Messages
import Store
import Testing

/// Issue 15 item 6: `ferry agent list` showed an agent's cache as of its last heartbeat,
/// so right after a deployment it said "-" for agents that had it.
@Suite("AgentInventory")
struct AgentInventoryTests {
    @Test("Issue 15: a status saying cached puts the version in the agent's inventory at once, once")
    func cachedStatusUpdatesTheInventory() async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mp-inventory-\(UUID().uuidString).sqlite")
        defer { try? FileManager.default.removeItem(at: url) }
        let database = try ServiceDatabase(url: url, migrator: ManagementPointDatabase.migrator)
        try await database.write { db in
            try db.execute(sql: "INSERT INTO agent (name, address, subnet, lastSeen, cachedVersions) VALUES ('agent1', '10.0.0.1', '10.0.0.0/24', 0, '')")
        }
        let version = String(repeating: "ef", count: 32)
        let view = SiteView()
        view.replace(with: SiteSnapshot(sequence: 1, boundaryGroups: [], distributionPoints: [], contents: [], deployments: [
            DeploymentPolicy(id: "office-1", content: "office", versionID: version, collection: "All Systems", command: nil, cacheOnly: true),
        ], collections: []))
        func report(_ state: AgentDeploymentPhase) async throws {
            let status = AgentDeploymentState(agent: "agent1", deploymentID: "office-1", state: state, bytesDone: 0, bytesTotal: 0,
                                              source: nil, exitCode: nil, detail: nil, updatedAt: Date())
            try await database.write { db in try AgentInventory.noteCached(status, view: view, db) }
        }
        func cached() async throws -> String {
            try await database.read { db in try String.fetchOne(db, sql: "SELECT cachedVersions FROM agent WHERE name = 'agent1'") ?? "?" }
        }
        try await report(.downloading)
        #expect(try await cached() == "")
        try await report(.cached)
        #expect(try await cached() == "office@\(version)")
        try await report(.installed)
        #expect(try await cached() == "office@\(version)", "listed once")
    }
}
