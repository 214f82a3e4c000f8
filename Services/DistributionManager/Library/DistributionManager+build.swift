public import ServiceKit
import Bus
import ContentStore
import Foundation
import Hummingbird
import Logging
import Messages
import Store

/// The distribution manager: owns the site's contents, versions, DPs and distribution
/// state; the CLI's single entry point; hands transfer jobs to the PTM.
public enum DistributionManager {
    public static let serviceName = "distribution-manager"

    /// Builds the service from its configuration file and runs it until SIGTERM.
    public static func run(configuration: ConfigurationFile, journal: String? = nil, insecureBus: Bool = false) async throws {
        let common = try configuration.decode(CommonSettings.self)
        var decoded = try configuration.decode(DistributionManagerSettings.self)
        for index in decoded.distributionPoints.indices {
            let point = decoded.distributionPoints[index]
            decoded.distributionPoints[index].publicKey = try CurveKeyPair.publicKey(
                inline: point.publicKey, file: point.publicKeyFile, setting: "distributionPoints[\(point.name)]")
            decoded.distributionPoints[index].publicKeyFile = nil
        }
        let settings = decoded
        let host = try ServiceHost(service: serviceName, settings: common, defaultLogName: "distmgr.log", journalOverride: journal,
                                   insecureBus: insecureBus)
        let database = try ServiceDatabase(url: common.dataURL.appendingPathComponent("distmgr.sqlite"),
                                           migrator: DistributionManagerDatabase.migrator)
        let library = try ChunkStore(root: common.dataURL.appendingPathComponent("library", isDirectory: true))
        let signer = try SiteTokenSigner(privateKeyFile: URL(fileURLWithPath: settings.siteSigningKeyFile))
        let verifier = try SiteTokenVerifier(publicKeyFile: URL(fileURLWithPath: settings.siteSigningKeyFile + ".pub"))
        let fallbackURL = "http://\(common.http.host):\(common.http.port)"
        let topology = SiteTopology(database: database, node: common.node, publishesSnapshots: settings.managementPoint != nil)
        let catalog = ContentCatalog(
            database: database, library: library, chunking: try (settings.chunking ?? .standard).validated(), node: common.node,
            signer: signer, logger: host.logger,
            topology: topology, sourceRoots: settings.sourceRoots, libraryURL: { host.httpURL ?? fallbackURL })
        try await catalog.registerDistributionPoints(settings.distributionPoints)
        // A management point that lost its state (or is new) gets the whole picture at start.
        try await database.write { db in try topology.enqueueSnapshot(db) }

        let transferManager = try host.client(peer: ContentCatalog.transferManagerPeer, settings: settings.packageTransferManager)
        let managementPoint = try settings.managementPoint.map { try host.client(peer: SiteTopology.managementPointPeer, settings: $0) }
        let pump = OutboxPump(database: database, logger: host.logger) { peer in
            switch peer {
            case ContentCatalog.transferManagerPeer: transferManager
            case SiteTopology.managementPointPeer: managementPoint
            default: nil
            }
        }
        var dispatcher = makeDispatcher(catalog: catalog, database: database, pump: pump, logger: host.logger)
        let tokens = TransferTokenIssuer(database: database, signer: signer, subject: ContentCatalog.transferManagerPeer,
                                         lifetime: settings.transferTokenLifetimeSeconds ?? TransferTokenIssuer.defaultLifetime)
        dispatcher.on(TransferTokenRequest.self) { request, _ in try await tokens.issue(request) }
        dispatcher.on(CreateBoundaryGroup.self) { request, _ in
            defer { pump.wake() }
            return try await topology.createGroup(request)
        }
        dispatcher.on(AddBoundaryGroupMember.self) { request, _ in
            defer { pump.wake() }
            return try await topology.addMember(request)
        }
        dispatcher.on(ListBoundaryGroups.self) { _, _ in try await topology.list() }
        let deployments = Deployments(database: database, topology: topology)
        dispatcher.on(Deploy.self) { request, _ in
            defer { pump.wake() }
            return try await deployments.deploy(request)
        }
        dispatcher.on(DeploymentStatusQuery.self) { request, _ in try await deployments.status(request.content) }
        dispatcher.on(CreateCollection.self) { request, _ in
            defer { pump.wake() }
            return try await deployments.createCollection(request)
        }
        dispatcher.on(ListCollections.self) { _, _ in try await deployments.listCollections() }
        let groups = DistributionPointGroups(database: database, catalog: catalog, logger: host.logger)
        dispatcher.on(CreateDistributionPointGroup.self) { request, _ in try await groups.create(request) }
        dispatcher.on(AddDistributionPointGroupMember.self) { request, _ in
            defer { pump.wake() }
            return try await groups.add(request)
        }
        dispatcher.on(RemoveDistributionPointGroupMember.self) { request, _ in try await groups.remove(request) }
        dispatcher.on(ListDistributionPointGroups.self) { _, _ in try await groups.list(queued: []) }
        dispatcher.on(AssociateCollection.self) { request, _ in try await groups.associate(request) }
        dispatcher.on(SetDistributionPoint.self) { request, _ in
            defer { pump.wake() }
            try await topology.setDistributionPoint(request)
            return try await catalog.distributionPoints()
        }
        dispatcher.on(SetContent.self) { request, _ in
            defer { pump.wake() }
            return try await catalog.set(request)
        }
        dispatcher.onCommand(OnDemandDistribution.self, database: database) { request, _, db in
            _ = try catalog.applyOnDemand(request, db)
            return .applied
        } afterCommit: { request in
            pump.wake()
            host.logger.info("on-demand distribution requested", metadata: [
                "content": "\(request.content)", "version-id": "\(request.versionID)", "client": "\(request.clientAddress)",
                "dps": "\(request.distributionPoints.joined(separator: ","))"])
        }
        dispatcher.onCommand(AgentStatusReport.self, database: database) { report, _, db in
            try deployments.apply(report, db)
            return .applied
        }
        // The site stays the CLI's single entry point; these answers are the MP's own.
        dispatcher.on(ListAgents.self) { request, _ in
            try await relay(request, expecting: AgentList.self, to: managementPoint)
        }
        dispatcher.on(ContentLocationQuery.self) { query, _ in
            try await relay(query, expecting: ContentLocationReply.self, to: managementPoint)
        }
        dispatcher.on(LocationExplainQuery.self) { query, _ in
            try await relay(query, expecting: LocationExplanation.self, to: managementPoint)
        }
        let distributionPoints = PeerConnections(host: host)
        dispatcher.on(ListDistributionPoints.self) { _, _ in
            var list = try await catalog.distributionPoints()
            // Usage lives on each DP (SPEC P6): ask them all at once, briefly.
            await withTaskGroup(of: (Int, DistributionPointUsageReply?).self) { group in
                for (index, point) in list.points.enumerated() {
                    let configured = settings.distributionPoints.first { $0.name == point.name }
                    let client = try? distributionPoints.client(name: point.name, endpoint: point.busEndpoint,
                                                                publicKey: configured?.publicKey)
                    group.addTask {
                        (index, try? await client?.request(DistributionPointUsageQuery(), expecting: DistributionPointUsageReply.self,
                                                           timeout: .seconds(2)))
                    }
                }
                for await (index, usage) in group { list.points[index].usage = usage }
            }
            return list
        }
        let busServer = host.makeBusServer(dispatcher: dispatcher)
        try busServer.start()
        let router = host.makeRouter()
        LibraryRoutes(library: library, verifier: verifier, metrics: host.metrics).register(on: router)
        let application = host.makeHTTPApplication(router: router, busServer: busServer)
        try await host.run([busServer, pump, application])
        transferManager.close()
        managementPoint?.close()
        distributionPoints.closeAll()
    }

    /// Passes a query to the management point and its answer back; the MP's refusals keep
    /// their code, an unreachable MP is `unavailable`.
    static func relay<Request: Message, Reply: Message>(_ request: Request, expecting: Reply.Type, to managementPoint: BusClient?) async throws -> Reply {
        guard let managementPoint else {
            throw WireError(code: .unavailable, message: "no management point is configured for this site")
        }
        do {
            return try await managementPoint.request(request, expecting: Reply.self, timeout: .seconds(10))
        } catch let error as BusError {
            if case .remote(_, let wire) = error { throw wire }
            throw WireError(code: .unavailable, message: "\(error)")
        }
    }

    static func makeDispatcher(catalog: ContentCatalog, database: ServiceDatabase, pump: OutboxPump, logger: Logger) -> BusDispatcher {
        var dispatcher = BusDispatcher(logger: logger)
        dispatcher.on(CreateContent.self) { request, _ in
            defer { pump.wake() }
            return try await catalog.create(request)
        }
        dispatcher.on(UpdateContent.self) { request, _ in
            defer { pump.wake() }
            return try await catalog.update(request)
        }
        dispatcher.on(ListContents.self) { _, _ in try await catalog.list() }
        dispatcher.on(ShowContent.self) { request, _ in try await catalog.show(request.name) }
        dispatcher.on(Distribute.self) { request, _ in
            let (accepted, queued) = try await catalog.distribute(request)
            if queued > 0 { pump.wake() }
            return accepted
        }
        dispatcher.on(DistributionStatusQuery.self) { request, _ in try await catalog.status(request.name) }
        dispatcher.on(TransferProgress.self) { progress, envelope in
            try await catalog.applyProgress(progress)
            return Ack(messageID: envelope.id, duplicate: false)
        }
        dispatcher.onCommand(TransferReport.self, database: database) { report, _, db in
            try catalog.applyReport(report, db)
            return .applied
        } afterCommit: { report in
            pump.wake()
            logger.info("distribution \(report.outcome.rawValue)", metadata: [
                "dp": "\(report.distributionPoint)", "version-id": "\(report.versionID)", "job": "\(report.jobID)",
                "bytes-pushed": "\(report.bytesPushed)", "chunks-pushed": "\(report.chunksPushed)",
                "reason": "\(report.reason ?? "-")"])
        }
        return dispatcher
    }
}
