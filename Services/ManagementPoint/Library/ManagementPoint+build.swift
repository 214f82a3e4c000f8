public import ServiceKit
import Bus
import Foundation
import GRDB
import Hummingbird
import Messages
import Store

/// The management point: keeps its own copy of where content is (from the distribution
/// manager's snapshots) and answers content location requests with a download token.
/// Agents, inventory and deployment policy arrive with the endpoints issue.
public enum ManagementPoint {
    public static let serviceName = "management-point"

    /// Builds the service from its configuration file and runs it until SIGTERM.
    public static func run(configuration: ConfigurationFile, journal: String? = nil) async throws {
        let common = try configuration.decode(CommonSettings.self)
        let settings = try configuration.decode(ManagementPointSettings.self)
        let host = try ServiceHost(service: serviceName, settings: common, defaultLogName: "mp.log", journalOverride: journal)
        let database = try ServiceDatabase(url: common.dataURL.appendingPathComponent("mp.sqlite"), migrator: ManagementPointDatabase.migrator)
        let signer = try settings.siteSigningKeyFile.map { try SiteTokenSigner(privateKeyFile: URL(fileURLWithPath: $0)) }
        let tokenLifetime = settings.downloadTokenLifetimeSeconds ?? 900
        let logger = host.logger

        var dispatcher = BusDispatcher(logger: logger)
        dispatcher.onCommand(SiteSnapshot.self, database: database) { snapshot, _, db in
            let current = try Int64.fetchOne(db, sql: "SELECT sequence FROM siteSnapshot WHERE id = 1") ?? 0
            // Snapshots may arrive out of order after retries: only a newer one replaces ours.
            guard snapshot.sequence > current else { return }
            try db.execute(sql: "INSERT OR REPLACE INTO siteSnapshot (id, sequence, snapshot, receivedAt) VALUES (1, ?, ?, ?)",
                           arguments: [snapshot.sequence, try EnvelopeCodec.json(snapshot), Date().timeIntervalSince1970])
        } afterCommit: { snapshot in
            logger.info("site snapshot applied", metadata: ["sequence": "\(snapshot.sequence)", "groups": "\(snapshot.boundaryGroups.count)",
                                                            "dps": "\(snapshot.distributionPoints.count)", "contents": "\(snapshot.contents.count)"])
        }
        dispatcher.on(ContentLocationQuery.self) { query, _ in
            let stored = try await database.read { db in try Data.fetchOne(db, sql: "SELECT snapshot FROM siteSnapshot WHERE id = 1") }
            guard let stored else {
                throw WireError(code: .unavailable, message: "the management point has not received the site's configuration yet")
            }
            let snapshot = try EnvelopeCodec.value(SiteSnapshot.self, from: stored)
            let (versionID, points) = try ContentLocator(snapshot: snapshot).locate(query)
            var token: String?
            var expiresAt: Date?
            if let signer, !points.isEmpty {
                let expiry = Date().addingTimeInterval(tokenLifetime)
                token = try signer.sign(SiteTokenClaims(scope: "download", subject: query.clientAddress, versionID: versionID, expiresAt: expiry))
                expiresAt = expiry
            }
            logger.info("content location", metadata: ["content": "\(query.content)", "client": "\(query.clientAddress)",
                                                        "answer": "\(points.isEmpty ? "content not available" : points.map(\.name).joined(separator: ","))"])
            return ContentLocationReply(content: query.content, versionID: versionID, distributionPoints: points,
                                        downloadToken: token, tokenExpiresAt: expiresAt)
        }
        let distributionManager = try settings.distributionManager.map { try host.client(peer: "distribution-manager", settings: $0) }
        let pump = OutboxPump(database: database, logger: logger) { peer in peer == "distribution-manager" ? distributionManager : nil }
        AgentInventory(database: database, node: common.node, relays: distributionManager != nil, logger: logger, pump: pump)
            .register(on: &dispatcher)
        let busServer = host.makeBusServer(dispatcher: dispatcher)
        try busServer.start()
        let application = host.makeHTTPApplication(router: Router(context: ServiceRequestContext.self), busServer: busServer)
        try await host.run([busServer, pump, application])
        distributionManager?.close()
    }
}
