import Bus
import FerryCLI
import Foundation
import ServiceKit

/// One service of a local cluster as the fuzzer sees it: where it listens, its process,
/// and every client identity it accepts (so mutated frames get past authentication and
/// reach its handlers, as they would from a compromised peer).
public struct FuzzTarget: Sendable {
    public struct Client: Sendable {
        public var node: String
        public var keys: CurveKeyPair
    }

    public var node: String
    public var service: String
    public var busEndpoint: String
    public var httpURL: String
    public var serverKey: String
    public var processID: Int32?
    public var clients: [Client]

    /// Every service of the cluster at `root` (made by `ferry cluster up`).
    public static func all(cluster root: URL) throws -> [FuzzTarget] {
        let layout = ClusterLayout(root: root)
        let manager = ClusterManager(layout: layout, log: { _ in })
        return try layout.readDescription().services.map { service in
            let common = try ConfigurationFile(url: layout.configFile(of: service.node), environment: [:]).decode(CommonSettings.self)
            let clients = try (common.bus.clients ?? []).map { client in
                let file = client.node == "cli" ? layout.cliKeyFile : layout.keyFile(of: client.node)
                return Client(node: client.node, keys: try CurveKeyPair.load(from: file.path))
            }
            return FuzzTarget(node: service.node, service: service.service, busEndpoint: service.busEndpoint, httpURL: service.httpURL,
                              serverKey: try service.serverKey(), processID: manager.processID(service.node), clients: clients)
        }
    }

    /// Whether its process is still the one that was running when the run began.
    public var isAlive: Bool {
        guard let processID else { return false }
        return kill(processID, 0) == 0 && FileManager.default.fileExists(atPath: "/proc/\(processID)")
            && (try? String(contentsOfFile: "/proc/\(processID)/stat", encoding: .utf8))?.contains(") Z ") != true
    }
}
