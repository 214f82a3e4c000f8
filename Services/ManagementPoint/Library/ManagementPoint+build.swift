public import ServiceKit
import Bus
import Foundation
import Hummingbird
import Messages
import Store

extension ManagementPoint {
    /// Builds the service from its configuration file: database, the decoded site view
    /// (loaded from the stored snapshot on first use), bus (bound).
    ///
    /// - Parameters:
    ///   - clock: every timestamp (token expiry, heartbeats); `SystemClock()` outside tests.
    ///   - journal: a JSON-lines file recording every envelope (overrides the config's).
    ///   - insecureBus: run without CurveZMQ when no key file is configured (tests only).
    public static func build(configuration: ConfigurationFile, clock: any ServiceClock, journal: String? = nil,
                             insecureBus: Bool = false, echoLogToStandardOutput: Bool = true) async throws -> ManagementPoint {
        let common = try configuration.decode(CommonSettings.self)
        let settings = try configuration.decode(ManagementPointSettings.self)
        let host = try ServiceHost(service: serviceName, settings: common, defaultLogName: "mp.log", journalOverride: journal,
                                   insecureBus: insecureBus, echoLogToStandardOutput: echoLogToStandardOutput, clock: clock)
        let database = try ServiceDatabase(url: common.dataURL.appendingPathComponent("mp.sqlite"), migrator: ManagementPointDatabase.migrator)
        let signer = try settings.siteSigningKeyFile.map { try SiteTokenSigner(privateKeyFile: URL(fileURLWithPath: $0)) }
        let logger = host.logger

        var dispatcher = host.makeDispatcher()
        let view = SiteView()
        let distributionManager = try settings.distributionManager.map {
            try host.client(peer: LocationService.distributionManagerPeer, settings: $0)
        }
        let pump = host.makePump(database: database) { peer in
            peer == LocationService.distributionManagerPeer ? distributionManager : nil
        }
        let admitted = AdmittedPeers()
        PullDistributionPointRelay.admit(try await LocationService.storedSnapshot(database), into: admitted)
        SiteSnapshotReceiver(database: database, view: view, admitted: admitted, logger: logger,
                             sequenceRule: SnapshotSequenceRule(maximumJump: settings.maximumSnapshotSequenceJump
                                                                ?? SnapshotSequenceRule.defaultMaximumJump))
            .register(on: &dispatcher)
        AgentInventory(database: database, view: view, node: common.node, relays: distributionManager != nil, logger: logger, pump: pump)
            .register(on: &dispatcher)
        LocationService(database: database, clock: clock, view: view, node: common.node, signer: signer,
                        tokens: DownloadTokenCache(lifetime: settings.downloadTokenLifetimeSeconds ?? 900),
                        relays: distributionManager != nil, logger: logger, pump: pump)
            .register(on: &dispatcher)
        PullDistributionPointRelay(database: database, clock: clock, view: view, admitted: admitted, signer: signer,
                                   tokenLifetime: settings.downloadTokenLifetimeSeconds ?? PullDistributionPointRelay.defaultTokenLifetime,
                                   node: common.node, relays: distributionManager != nil, logger: logger, pump: pump)
            .register(on: &dispatcher)
        let busServer = host.makeBusServer(dispatcher: dispatcher, admitted: admitted)
        try busServer.start()
        let application = host.makeHTTPApplication(router: host.makeRouter(), busServer: busServer)
        return ManagementPoint(host: host, database: database, busServer: busServer, pump: pump, application: application,
                               distributionManager: distributionManager)
    }
}
