public import ServiceKit
import Bus
import Clocks
import ContentStore
import ContentTransfer
import Foundation
import HTTPTransfer
import Hummingbird
import Multicast
import Store

extension MulticastAgent {
    /// Builds the agent from its configuration file: database, store, the MP connection,
    /// the peer cache and subnet channel when enabled, bus (bound).
    ///
    /// - Parameters:
    ///   - clock: every timestamp and timer (policy cycles, retries, elections); `SystemClock()` outside tests.
    ///   - journal: a JSON-lines file recording every envelope (overrides the config's).
    ///   - insecureBus: run without CurveZMQ when no key file is configured (tests only).
    public static func build(configuration: ConfigurationFile, clock: any ServiceClock, journal: String? = nil,
                             insecureBus: Bool = false, echoLogToStandardOutput: Bool = true) async throws -> MulticastAgent {
        let common = try configuration.decode(CommonSettings.self)
        let settings = try configuration.decode(MulticastAgentSettings.self)
        guard AddressRange.parse(settings.address) != nil else {
            throw ConfigurationError("address '\(settings.address)' is not an IPv4 address")
        }
        let subnetRange = try AddressRange(subnet: settings.subnet)
        guard MulticastAgentSettings.parallelDownloadRange.contains(settings.parallelDownloadCount) else {
            let range = MulticastAgentSettings.parallelDownloadRange
            throw ConfigurationError("parallelDownloads \(settings.parallelDownloadCount) is out of range (\(range.lowerBound)–\(range.upperBound))")
        }
        let host = try ServiceHost(service: serviceName, settings: common, defaultLogName: "agent.log", journalOverride: journal,
                                   insecureBus: insecureBus, echoLogToStandardOutput: echoLogToStandardOutput, clock: clock)
        // Batch scheduling is only a speed and courtesy setting: an agent that cannot have it still works.
        do { try prepareProcess(batchScheduling: settings.backgroundSchedulingEnabled) } catch {
            host.logger.warning("running without batch scheduling", metadata: ["error": "\(error)"])
        }
        let database = try ServiceDatabase(url: common.dataURL.appendingPathComponent("agent.sqlite"), migrator: AgentDatabase.migrator)
        let store = try host.openStore("store")
        // From the agent's own address: the MP answers, and issues tokens, for the address that connects.
        let managementPoint = try host.client(peer: AgentWorker.managementPointPeer, settings: settings.managementPoint,
                                              sourceAddress: settings.address)
        let pump = host.makePump(database: database) { peer in
            peer == AgentWorker.managementPointPeer ? managementPoint : nil
        }
        let router = host.makeRouter()
        var coordinator: SubnetCoordinator?
        var hub: MulticastHub?
        if settings.peerCachingEnabled {
            guard common.http.port != 0 else {
                throw ConfigurationError("peer caching needs a fixed http.port: peers find the cache at http://\(settings.address):PORT")
            }
            guard let keyFile = settings.sitePublicKeyFile else {
                throw ConfigurationError("peer caching needs sitePublicKeyFile (the site's token public key) to check peers' download tokens")
            }
            let verifier = try SiteTokenVerifier(publicKeyFile: URL(fileURLWithPath: keyFile), clock: clock)
            let subnet = settings.subnetSettings
            let chunkLists = ChunkListCache(store: store)
            let candidate = SubnetCoordinator(node: common.node, address: settings.address,
                                              httpURL: "http://\(settings.address):\(common.http.port)", settings: subnet,
                                              clock: clock, logger: host.logger) { version in chunkLists.holdings(version) }
            do {
                try candidate.start()
                coordinator = candidate
                PeerCacheRoutes.add(to: router, store: store, chunkLists: chunkLists, subnet: subnetRange, verifier: verifier)
                hub = MulticastHub(settings: NormSettings(group: subnet.normGroup, port: subnet.normPort, interfaceAddress: settings.address,
                                                          rateBitsPerSecond: subnet.rateBitsPerSecond),
                                   store: store, logger: host.logger)
                if subnet.isEnabled { _ = try hub?.open() }
            } catch {
                host.logger.warning("the subnet channel cannot run on this interface; downloading from DPs only",
                                    metadata: ["error": "\(error)"])
            }
        }
        let transfer = coordinator.map {
            SubnetTransfer(coordinator: $0, hub: hub,
                           downloader: ContentDownloader(store: store, http: HTTPClient.shared, localAddress: settings.address,
                                                         clock: clock, logger: host.logger,
                                                         parallelRequests: settings.parallelDownloadCount),
                           settings: settings.subnetSettings, logger: host.logger)
        }
        let worker = AgentWorker(name: common.node, settings: settings, database: database, store: store,
                                 cacheFolder: common.dataURL.appendingPathComponent("cache", isDirectory: true),
                                 managementPoint: managementPoint, pump: pump, subnet: transfer, clock: clock, metrics: host.metrics,
                                 logger: host.logger)
        // The agent answers only health queries on its bus: everything it learns, it asks for.
        let busServer = host.makeBusServer(dispatcher: host.makeDispatcher())
        try busServer.start()
        let application = host.makeHTTPApplication(router: router, busServer: busServer)
        return MulticastAgent(host: host, database: database, busServer: busServer, pump: pump, worker: worker,
                              application: application, managementPoint: managementPoint, coordinator: coordinator, hub: hub)
    }
}
