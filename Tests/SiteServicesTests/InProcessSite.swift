import Bus
import Clocks
import DistributionManager
import Foundation
import Logging
import ManagementPoint
import Messages
import PackageTransferManager
import PullDP
import ServiceKit
import ServiceLifecycle

/// A site (distribution manager, PTM, one DP) built in-process as `@main` builds each
/// service, on one temporary folder and one manual clock.
///
/// Buses use `ipc://` endpoints inside the folder (every test its own, no ports to race
/// for); HTTP uses port 0. The DP runs first so the site's config can name its HTTP URL.
final class InProcessSite: @unchecked Sendable {
    let folder: URL
    let clock: ManualClock
    let signingKey: URL
    private var groups: [(ServiceGroup, Task<Void, any Error>)] = []

    init(clock: ManualClock = ManualClock()) throws {
        folder = URL(fileURLWithPath: "/tmp/ferry-ip-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        self.clock = clock
        signingKey = folder.appendingPathComponent("keys/site-signing.key")
        try FileManager.default.createDirectory(at: signingKey.deletingLastPathComponent(), withIntermediateDirectories: true)
        try SiteTokenSigner.generateKeyPair(privateKeyFile: signingKey, publicKeyFile: URL(fileURLWithPath: signingKey.path + ".pub"))
    }

    func endpoint(_ node: String) -> String { "ipc://\(folder.path)/\(node).bus" }

    /// The settings every service shares: data folder, ipc bus, HTTP on port 0, its clients.
    func common(_ node: String, clients: [(String, PeerRole)]) -> String {
        """
        node: \(node)
        dataDirectory: '\(folder.appendingPathComponent(node).path)'
        bus:
          bind: '\(endpoint(node))'
          clients:
        \(clients.map { "    - {node: \($0.0), role: \($0.1.rawValue)}" }.joined(separator: "\n"))
        http: {host: 127.0.0.1, port: 0}

        """
    }

    func configuration(_ node: String, _ text: String) throws -> ConfigurationFile {
        let url = folder.appendingPathComponent("\(node).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try ConfigurationFile(url: url, environment: [:])
    }

    /// Builds and starts the DP; returns it once its HTTP server is up.
    /// With `managementPoint`, it can pull (it reports to the MP and gets its tokens there).
    func startDistributionPoint(_ node: String = "dp1", managementPoint: Bool = false, sourceRetrySeconds: Double = 1800) async throws -> PullDP {
        var text = common(node, clients: [("cli", .admin), ("site", .site), ("ptm", .transferManager)])
            + "sitePublicKeyFile: '\(signingKey.path).pub'\n"
        if managementPoint {
            text += "managementPoint: {endpoint: '\(endpoint("mp"))'}\npull: {sourceRetrySeconds: \(sourceRetrySeconds)}\n"
        }
        let service = try await PullDP.build(configuration: try configuration(node, text), clock: clock, insecureBus: true,
                                             echoLogToStandardOutput: false)
        try await run(service, host: service.host)
        return service
    }

    /// Builds and starts the PTM, retrying a failed transfer after `retryDelaySeconds` of the clock.
    func startTransferManager(retryDelaySeconds: Double = 1800, maximumAttempts: Int = 100, extra: String = "") async throws -> PackageTransferManager {
        let text = common("ptm", clients: [("cli", .admin), ("site", .site)]) + """
            distributionManager: {endpoint: '\(endpoint("site"))'}
            distributionPointTimeoutSeconds: 1
            \(extra)
            retry: {maximumAttempts: \(maximumAttempts), delaySeconds: \(retryDelaySeconds)}

            """
        let service = try await PackageTransferManager.build(configuration: try configuration("ptm", text), clock: clock,
                                                             insecureBus: true, echoLogToStandardOutput: false)
        try await run(service, host: service.host)
        return service
    }

    /// Builds and starts the management point, which relays on-demand requests to the site.
    /// Without `relays`, it passes nothing on to the site (no pull status reaches it that way).
    func startManagementPoint(relays: Bool = true) async throws -> ManagementPoint {
        let text = common("mp", clients: [("cli", .admin), ("site", .site)]) + """
            siteSigningKeyFile: '\(signingKey.path)'
            \(relays ? "distributionManager: {endpoint: '\(endpoint("site"))'}" : "")

            """
        let service = try await ManagementPoint.build(configuration: try configuration("mp", text), clock: clock, insecureBus: true,
                                                      echoLogToStandardOutput: false)
        try await run(service, host: service.host)
        return service
    }

    /// Builds and starts the distribution manager with `points` (name, bus endpoint, HTTP URL).
    func startDistributionManager(points: [(name: String, bus: String, http: String)], managementPoint: Bool = false) async throws -> DistributionManager {
        let sources = folder.appendingPathComponent("sources")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        let text = common("site", clients: [("cli", .admin), ("ptm", .transferManager), ("mp", .managementPoint)]) + """
            siteSigningKeyFile: '\(signingKey.path)'
            sourceRoots: ['\(sources.path)']
            packageTransferManager: {endpoint: '\(endpoint("ptm"))'}
            \(managementPoint ? "managementPoint: {endpoint: '\(endpoint("mp"))'}" : "")
            distributionPoints:
            \(points.map { "  - {name: \($0.name), busEndpoint: '\($0.bus)', httpURL: '\($0.http)'}" }.joined(separator: "\n"))

            """
        let service = try await DistributionManager.build(configuration: try configuration("site", text), clock: clock,
                                                          insecureBus: true, echoLogToStandardOutput: false)
        try await run(service, host: service.host)
        return service
    }

    /// A source folder under the site's source root with `files` (name, size) of seeded bytes.
    /// Bytes differ by `seed`: contents made with different seeds share no chunk.
    func source(_ name: String, files: [(String, Int)], seed: UInt64 = 0) throws -> URL {
        let url = folder.appendingPathComponent("sources/\(name)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ seed &* 0x2545_F491_4F6C_DD1D
        for (file, size) in files {
            var bytes = [UInt8](repeating: 0, count: size)
            for index in bytes.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
            }
            try Data(bytes).write(to: url.appendingPathComponent(file))
        }
        return url
    }

    /// An admin's (or another role's) connection to a service's bus.
    func client(to node: String, as sender: String = "cli") -> BusClient {
        BusClient(node: sender, peer: node, endpoint: endpoint(node), security: nil, clock: clock, logger: Logger(label: "test"))
    }

    private func run(_ service: some Service, host: ServiceHost) async throws {
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: host.logger))
        groups.append((group, Task { try await group.run() }))
        let deadline = ContinuousClock.now + .seconds(20)
        while host.httpURL == nil {
            guard ContinuousClock.now < deadline else { throw TestFailure("\(host.service) did not start its HTTP server") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops every service gracefully (as SIGTERM would) and removes the folder.
    func stop() async {
        for (group, task) in groups.reversed() {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Polls `condition` on real time (the services work on their own threads) until it holds.
func eventually(_ timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
