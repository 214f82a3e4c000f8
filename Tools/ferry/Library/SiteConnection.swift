import Bus
import Foundation
import Logging
public import Messages
import ServiceKit

/// The CLI's connection to the site's distribution manager, from the cluster folder.
///
/// Requests go as the `cli` node (admin) with the cluster's CLI key.
public struct SiteConnection {
    let client: BusClient

    public init(layout: ClusterLayout) throws {
        let description = try layout.readDescription()
        guard let site = description.site else {
            throw ConfigurationError("\(layout.clusterFile.path) lists no distribution-manager")
        }
        let identity = try CurveKeyPair.load(from: layout.cliKeyFile.path)
        var logger = Logger(label: "ferry")
        logger.logLevel = .error
        client = BusClient(node: "cli", peer: "distribution-manager", endpoint: site.busEndpoint,
                           security: BusClientSecurity(identity: identity, serverKey: try site.serverKey()), clock: SystemClock(), logger: logger)
    }

    public func request<R: Request>(_ request: R, timeout: Duration = .seconds(30)) async throws -> R.Reply {
        try await client.request(request, timeout: timeout)
    }
}
