public import ServiceKit
import Bus
import ContentStore
import Foundation
import HTTPTransfer
import Hummingbird
import Messages
import Store

extension PullDP {
    /// Builds the service from its configuration file: store, database, bus (bound), HTTP routes.
    ///
    /// - Parameters:
    ///   - clock: every timestamp (token expiry, verification and client times); `SystemClock()` outside tests.
    ///   - journal: a JSON-lines file recording every envelope (overrides the config's).
    ///   - insecureBus: run without CurveZMQ when no key file is configured (tests only).
    public static func build(configuration: ConfigurationFile, clock: any ServiceClock, journal: String? = nil,
                             insecureBus: Bool = false, echoLogToStandardOutput: Bool = true) async throws -> PullDP {
        let common = try configuration.decode(CommonSettings.self)
        let settings = try configuration.decode(PullDPSettings.self)
        let host = try ServiceHost(service: serviceName, settings: common, defaultLogName: "pulldp.log", journalOverride: journal,
                                   insecureBus: insecureBus, echoLogToStandardOutput: echoLogToStandardOutput, clock: clock)
        let database = try ServiceDatabase(url: common.dataURL.appendingPathComponent("pulldp.sqlite"),
                                           migrator: DistributionPointDatabase.migrator)
        let store = try ChunkStore(root: settings.libraryURL(dataURL: common.dataURL))
        store.removeStaleTemporaryFiles(olderThan: 24 * 3600, now: clock.now)
        let verifier = try SiteTokenVerifier(publicKeyFile: URL(fileURLWithPath: settings.sitePublicKeyFile), clock: clock)
        let content = DistributionPointContent(store: store, database: database, clock: clock, logger: host.logger, metrics: host.metrics)

        let managementPoint = try settings.managementPoint.map { try host.client(peer: Self.managementPointPeer, settings: $0) }
        let pump = managementPoint.map { client in host.makePump(database: database) { peer in peer == Self.managementPointPeer ? client : nil } }
        let tokens = managementPoint.map { client in
            PullTokenSource(clock: clock) { request in try await client.request(request, timeout: .seconds(10)) }
        }
        let downloader = PullDownloader(node: common.node, content: content, clock: clock, logger: host.logger,
                                        sourceRetry: settings.pull?.sourceRetrySeconds ?? PullSettings.seedSourceRetrySeconds,
                                        requestsInFlight: settings.pull?.parallelDownloads ?? 4, http: HTTPClient.shared, tokens: tokens,
                                        managementPointPeer: managementPoint == nil ? nil : Self.managementPointPeer, pump: pump)

        let mover = LibraryMover(node: common.node, content: content, configurationURL: configuration.url,
                                 bytesPerSecond: settings.libraryMoveBytesPerSecond)
        var dispatcher = host.makeDispatcher()
        DistributionPointRequests(content: content).register(on: &dispatcher)
        dispatcher.on(MoveLibrary.self) { request, _ in try await mover.handle(request) }
        PullRequests(downloader: downloader, logger: host.logger).register(on: &dispatcher)
        let busServer = host.makeBusServer(dispatcher: dispatcher)
        try busServer.start()
        let router = host.makeRouter()
        DistributionPointRoutes(node: common.node, content: content, verifier: verifier,
                                maximumChunkSize: settings.maximumChunkSize ?? 8 * 1024 * 1024)
            .register(on: router)
        let application = host.makeHTTPApplication(router: router, busServer: busServer)
        return PullDP(host: host, database: database, busServer: busServer, application: application, downloader: downloader, pump: pump,
                      managementPoint: managementPoint, mover: mover)
    }
}
