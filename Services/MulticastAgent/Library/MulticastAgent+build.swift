public import ServiceKit
import Bus
import ContentStore
import Foundation
import Hummingbird
import Store

/// The endpoint agent: one per machine, its own SQLite state and chunk cache. Multicast
/// and peer caching arrive with their own issue; this is the client of the MP and DPs.
public enum MulticastAgent {
    public static let serviceName = "multicast-agent"

    /// Builds the agent from its configuration file and runs it until SIGTERM.
    public static func run(configuration: ConfigurationFile, journal: String? = nil) async throws {
        let common = try configuration.decode(CommonSettings.self)
        let settings = try configuration.decode(MulticastAgentSettings.self)
        guard AddressRange.parse(settings.address) != nil else {
            throw ConfigurationError("address '\(settings.address)' is not an IPv4 address")
        }
        _ = try AddressRange(subnet: settings.subnet)
        let host = try ServiceHost(service: serviceName, settings: common, defaultLogName: "agent.log", journalOverride: journal)
        let database = try ServiceDatabase(url: common.dataURL.appendingPathComponent("agent.sqlite"), migrator: AgentDatabase.migrator)
        let store = try ChunkStore(root: common.dataURL.appendingPathComponent("store", isDirectory: true))
        let managementPoint = try host.client(peer: AgentWorker.managementPointPeer, settings: settings.managementPoint)
        let pump = OutboxPump(database: database, logger: host.logger) { peer in
            peer == AgentWorker.managementPointPeer ? managementPoint : nil
        }
        let worker = AgentWorker(name: common.node, settings: settings, database: database, store: store,
                                 cacheFolder: common.dataURL.appendingPathComponent("cache", isDirectory: true),
                                 managementPoint: managementPoint, pump: pump, logger: host.logger)
        let busServer = host.makeBusServer(dispatcher: BusDispatcher(logger: host.logger))
        try busServer.start()
        let application = host.makeHTTPApplication(router: Router(context: ServiceRequestContext.self), busServer: busServer)
        try await host.run([busServer, pump, worker, application])
        managementPoint.close()
    }
}
