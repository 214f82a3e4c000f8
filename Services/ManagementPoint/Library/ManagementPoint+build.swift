public import ServiceKit
import Bus
import Foundation
import GRDB
import Hummingbird
import Messages
import Store

/// The management point: keeps its own copy of where content is (from the distribution
/// manager's snapshots), answers content location requests with a download token (and
/// asks the site for on-demand distribution), and serves agents their policy.
public enum ManagementPoint {
    public static let serviceName = "management-point"

    /// Builds the service from its configuration file and runs it until SIGTERM.
    public static func run(configuration: ConfigurationFile, journal: String? = nil, insecureBus: Bool = false) async throws {
        let common = try configuration.decode(CommonSettings.self)
        let settings = try configuration.decode(ManagementPointSettings.self)
        let host = try ServiceHost(service: serviceName, settings: common, defaultLogName: "mp.log", journalOverride: journal,
                                   insecureBus: insecureBus)
        let database = try ServiceDatabase(url: common.dataURL.appendingPathComponent("mp.sqlite"), migrator: ManagementPointDatabase.migrator)
        let signer = try settings.siteSigningKeyFile.map { try SiteTokenSigner(privateKeyFile: URL(fileURLWithPath: $0)) }
        let tokenLifetime = settings.downloadTokenLifetimeSeconds ?? 900
        let logger = host.logger

        var dispatcher = BusDispatcher(logger: logger)
        let view = SiteView()
        let sequenceRule = SnapshotSequenceRule(maximumJump: settings.maximumSnapshotSequenceJump ?? SnapshotSequenceRule.defaultMaximumJump)
        dispatcher.onCommand(SiteSnapshot.self, database: database) { snapshot, _, db in
            let current = try Int64.fetchOne(db, sql: "SELECT sequence FROM siteSnapshot WHERE id = 1") ?? 0
            switch try sequenceRule.decide(received: snapshot.sequence, held: current) {
            case .older:
                // Snapshots may arrive out of order after retries: only a newer one replaces ours.
                return .skipped("sequence \(snapshot.sequence) is not newer than \(current)")
            case .newer:
                try db.execute(sql: "INSERT OR REPLACE INTO siteSnapshot (id, sequence, snapshot, receivedAt) VALUES (1, ?, ?, ?)",
                               arguments: [snapshot.sequence, try EnvelopeCodec.json(snapshot), Date().timeIntervalSince1970])
                return .applied
            }
        } afterCommit: { snapshot in
            view.replace(with: snapshot)
            logger.info("site snapshot applied", metadata: ["sequence": "\(snapshot.sequence)", "groups": "\(snapshot.boundaryGroups.count)",
                                                            "dps": "\(snapshot.distributionPoints.count)", "contents": "\(snapshot.contents.count)"])
        }
        let distributionManager = try settings.distributionManager.map { try host.client(peer: "distribution-manager", settings: $0) }
        let pump = OutboxPump(database: database, logger: logger) { peer in peer == "distribution-manager" ? distributionManager : nil }
        AgentInventory(database: database, view: view, node: common.node, relays: distributionManager != nil, logger: logger, pump: pump)
            .register(on: &dispatcher)
        LocationService(database: database, view: view, node: common.node, signer: signer, tokenLifetime: tokenLifetime,
                        relays: distributionManager != nil, logger: logger, pump: pump)
            .register(on: &dispatcher)
        let busServer = host.makeBusServer(dispatcher: dispatcher)
        try busServer.start()
        let application = host.makeHTTPApplication(router: host.makeRouter(), busServer: busServer)
        try await host.run([busServer, pump, application])
        distributionManager?.close()
    }
}
