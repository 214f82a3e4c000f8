public import ServiceKit
import Bus
import ContentStore
import Foundation
import Hummingbird
import Messages
import Store

extension DistributionManager {
    /// Builds the service from its configuration file: database, library, bus (bound) and
    /// HTTP routes, every handler registered once.
    ///
    /// - Parameters:
    ///   - clock: every timestamp and timer of the service; `SystemClock()` outside tests.
    ///   - journal: a JSON-lines file recording every envelope (overrides the config's).
    ///   - insecureBus: run without CurveZMQ when no key file is configured (tests only).
    public static func build(configuration: ConfigurationFile, clock: any ServiceClock, journal: String? = nil,
                             insecureBus: Bool = false, echoLogToStandardOutput: Bool = true) async throws -> DistributionManager {
        let common = try configuration.decode(CommonSettings.self)
        let settings = try resolvedSettings(configuration)
        let host = try ServiceHost(service: serviceName, settings: common, defaultLogName: "distmgr.log", journalOverride: journal,
                                   insecureBus: insecureBus, echoLogToStandardOutput: echoLogToStandardOutput, clock: clock)
        let database = try ServiceDatabase(url: common.dataURL.appendingPathComponent("distmgr.sqlite"),
                                           migrator: DistributionManagerDatabase.migrator)
        let library = try host.openStore("library")
        let signer = try SiteTokenSigner(privateKeyFile: URL(fileURLWithPath: settings.siteSigningKeyFile))
        let verifier = try SiteTokenVerifier(publicKeyFile: URL(fileURLWithPath: settings.siteSigningKeyFile + ".pub"), clock: clock)
        let fallbackURL = "http://\(common.http.host):\(common.http.port)"
        let topology = SiteTopology(database: database, clock: clock, node: common.node,
                                    publishesSnapshots: settings.managementPoint != nil)
        let policies = TransferPolicyPublisher(clock: clock, node: common.node)
        let distributions = Distributions(database: database, clock: clock, node: common.node, logger: host.logger, topology: topology,
                                          differential: DifferentialReplicationRule(siteDefault: settings.differentialByDefault ?? false),
                                          libraryURL: { host.httpURL ?? fallbackURL })
        let libraryLock = LibraryLock()
        let catalog = ContentCatalog(database: database, clock: clock, library: library,
                                     chunking: try (settings.chunking ?? .standard).validated(), signer: signer, logger: host.logger,
                                     topology: topology, distributions: distributions, policies: policies,
                                     sourceRoots: settings.sourceRoots, libraryLock: libraryLock)
        let directory = DistributionPointDirectory(database: database)
        for name in try await directory.register(settings.distributionPoints) {
            host.logger.notice("the configuration lists a DP removed with 'ferry dp remove'; it stays removed until 'ferry dp add'",
                               metadata: ["dp": "\(name)"])
        }
        let administration = DistributionPointAdministration(database: database, clock: clock, logger: host.logger, topology: topology,
                                                             policies: policies, requiresPublicKeys: host.identity != nil)
        // A management point or PTM that lost its state (or is new) gets the whole picture at start.
        try await database.write { db in
            try topology.enqueueSnapshot(db)
            try policies.publishAll(db)
        }

        let connections = Connections(
            transferManager: try host.client(peer: Distributions.transferManagerPeer, settings: settings.packageTransferManager),
            managementPoint: try settings.managementPoint.map { try host.client(peer: SiteTopology.managementPointPeer, settings: $0) },
            distributionPoints: PeerConnections(host: host))
        let pump = host.makePump(database: database) { peer in
            switch peer {
            case Distributions.transferManagerPeer: connections.transferManager
            case SiteTopology.managementPointPeer: connections.managementPoint
            default: nil
            }
        }
        var dispatcher = host.makeDispatcher()
        ContentRequests(catalog: catalog, distributions: distributions, administration: administration, database: database, pump: pump,
                        logger: host.logger).register(on: &dispatcher)
        TopologyRequests(topology: topology, pump: pump).register(on: &dispatcher)
        DistributionPointRequests(directory: directory, administration: administration,
                                  usage: DistributionPointUsageCollector(directory: directory, connections: connections.distributionPoints),
                                  pump: pump).register(on: &dispatcher)
        DeploymentRequests(deployments: Deployments(database: database, clock: clock, topology: topology, distributions: distributions), database: database, pump: pump)
            .register(on: &dispatcher)
        DistributionPointGroupRequests(
            groups: DistributionPointGroups(database: database, clock: clock, distributions: distributions, logger: host.logger), pump: pump)
            .register(on: &dispatcher)
        TransferTokenIssuer(database: database, clock: clock, signer: signer, subject: Distributions.transferManagerPeer,
                            lifetime: settings.transferTokenLifetimeSeconds ?? TransferTokenIssuer.defaultLifetime)
            .register(on: &dispatcher)
        ManagementPointRelay(managementPoint: connections.managementPoint).register(on: &dispatcher)
        let validations = Validations(database: database, clock: clock, node: common.node, logger: host.logger, topology: topology,
                                      distributions: distributions, pump: pump,
                                      interval: settings.validationIntervalSeconds ?? Validations.weekly)
        ValidationRequests(validations: validations, database: database, logger: host.logger).register(on: &dispatcher)
        PrestagedRequests(prestaged: PrestagedContent(database: database, clock: clock, node: common.node, signer: signer,
                                                      distributions: distributions, topology: topology,
                                                      connections: connections.distributionPoints, logger: host.logger,
                                                      libraryURL: { host.httpURL ?? fallbackURL }))
            .register(on: &dispatcher)
        let busServer = host.makeBusServer(dispatcher: dispatcher)
        try busServer.start()
        let router = host.makeRouter()
        LibraryRoutes(library: library, verifier: verifier, metrics: host.metrics).register(on: router)
        LibraryRestoreRoute(library: library, lock: libraryLock, verifier: verifier, database: database, clock: clock, topology: topology,
                            node: common.node, logger: host.logger).register(on: router)
        let application = host.makeHTTPApplication(router: router, busServer: busServer)
        let collector = LibraryCollector(database: database, library: library, lock: libraryLock, logger: host.logger, metrics: host.metrics)
        return DistributionManager(host: host, database: database, busServer: busServer, pump: pump, application: application,
                                   validations: validations, collector: collector, connections: connections)
    }

    /// The settings with every DP's public key read (inline or from its file).
    static func resolvedSettings(_ configuration: ConfigurationFile) throws -> DistributionManagerSettings {
        var settings = try configuration.decode(DistributionManagerSettings.self)
        for index in settings.distributionPoints.indices {
            let point = settings.distributionPoints[index]
            settings.distributionPoints[index].publicKey = try CurveKeyPair.publicKey(
                inline: point.publicKey, file: point.publicKeyFile, setting: "distributionPoints[\(point.name)]")
            settings.distributionPoints[index].publicKeyFile = nil
        }
        return settings
    }
}
