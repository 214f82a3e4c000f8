public import ServiceKit
import Bus
import Hummingbird

/// The management point: answers health now; content location, agents and deployment
/// policy arrive with the endpoints issue.
public enum ManagementPoint {
    public static let serviceName = "management-point"

    /// Builds the service from its configuration file and runs it until SIGTERM.
    public static func run(configuration: ConfigurationFile, journal: String? = nil) async throws {
        let common = try configuration.decode(CommonSettings.self)
        let host = try ServiceHost(service: serviceName, settings: common, defaultLogName: "mp.log", journalOverride: journal)
        let busServer = host.makeBusServer(dispatcher: BusDispatcher(logger: host.logger))
        try busServer.start()
        let application = host.makeHTTPApplication(router: Router(), busServer: busServer)
        try await host.run([busServer, application])
    }
}
