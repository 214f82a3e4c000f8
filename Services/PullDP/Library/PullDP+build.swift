public import ServiceKit
import Bus
import ContentStore
import Foundation
import Hummingbird
import Messages
import Store

/// The distribution point service (standard mode): its own chunk store and database, the
/// HTTP data plane, and the bus queries the PTM asks (SPEC P1, T2).
public enum PullDP {
    public static let serviceName = "pull-dp"

    /// Builds the service from its configuration file and runs it until SIGTERM.
    public static func run(configuration: ConfigurationFile, journal: String? = nil, insecureBus: Bool = false) async throws {
        let common = try configuration.decode(CommonSettings.self)
        let settings = try configuration.decode(PullDPSettings.self)
        let host = try ServiceHost(service: serviceName, settings: common, defaultLogName: "pulldp.log", journalOverride: journal,
                                   insecureBus: insecureBus)
        let database = try ServiceDatabase(url: common.dataURL.appendingPathComponent("pulldp.sqlite"),
                                           migrator: DistributionPointDatabase.migrator)
        let store = try ChunkStore(root: common.dataURL.appendingPathComponent("store", isDirectory: true))
        let verifier = try SiteTokenVerifier(publicKeyFile: URL(fileURLWithPath: settings.sitePublicKeyFile))
        let content = DistributionPointContent(store: store, database: database, logger: host.logger, metrics: host.metrics)

        var dispatcher = BusDispatcher(logger: host.logger)
        dispatcher.on(MissingChunksQuery.self) { query, _ in try content.missing(query) }
        dispatcher.on(VerifyVersion.self) { request, _ in try await content.verify(request) }
        dispatcher.on(DistributionPointUsageQuery.self) { _, _ in try await content.usage() }
        let busServer = host.makeBusServer(dispatcher: dispatcher)
        try busServer.start()
        let router = host.makeRouter()
        DistributionPointRoutes(node: common.node, content: content, verifier: verifier, maximumChunkSize: settings.maximumChunkSize ?? 8 * 1024 * 1024)
            .register(on: router)
        let application = host.makeHTTPApplication(router: router, busServer: busServer)
        try await host.run([busServer, application])
    }
}
