public import Foundation
import Bus
import DistributionManager
import HTTPTransfer
import ManagementPoint
import Messages
import MulticastAgent
import PackageTransferManager
import PullDP
import ServiceKit

/// Creates, starts, inspects and stops a local cluster: every service as its own process
/// with its own config, data folder, log and keys under one folder.
public struct ClusterManager: Sendable {
    public let layout: ClusterLayout
    let binaries: URL
    let journal: Bool
    let log: @Sendable (String) -> Void
    /// Nil: everything on loopback. Otherwise the namespaces of `deploy/testbed/up.sh`.
    let testbed: Testbed?
    /// Agents on loopback join the subnet channel and serve their peer caches (off by
    /// default: on one host every agent would find every other; the fuzzer turns it on to
    /// reach the peer-cache routes).
    public var peerCachingOnLoopback = false
    /// When creating the cluster: the folders its distribution manager may import from.
    public var sourceRoots: [String] = ClusterManager.defaultSourceRoots

    /// The network-namespace test bed: a site host, a router, and `subnets` subnets of
    /// `agentsPerSubnet` agent hosts (SPEC S1: real subnets, real multicast).
    public struct Testbed: Sendable {
        public var subnets: Int
        public var agentsPerSubnet: Int
        /// The agents' peer caches (SPEC M6); off only to measure what they save.
        public var peerCaching: Bool
        /// The agents' fixed multicast rate.
        public var multicastRateMegabits: Double
        public init(subnets: Int, agentsPerSubnet: Int, peerCaching: Bool = true, multicastRateMegabits: Double = 300) {
            self.subnets = subnets
            self.agentsPerSubnet = agentsPerSubnet
            self.peerCaching = peerCaching
            self.multicastRateMegabits = multicastRateMegabits
        }
        public static let siteNamespace = "fy-site"
        public static let siteAddress = "10.77.0.2"
        public static func agentNode(subnet: Int, agent: Int) -> String { "s\(subnet)a\(agent)" }
        public static func agentNamespace(subnet: Int, agent: Int) -> String { "fy-s\(subnet)-a\(agent)" }
        public static func agentAddress(subnet: Int, agent: Int) -> String { "10.77.\(subnet).\(10 + agent)" }

        var agents: [(node: String, namespace: String, address: String, subnet: String)] {
            (1...subnets).flatMap { subnet in
                (1...agentsPerSubnet).map { agent in
                    (Self.agentNode(subnet: subnet, agent: agent), Self.agentNamespace(subnet: subnet, agent: agent),
                     Self.agentAddress(subnet: subnet, agent: agent), "10.77.\(subnet).0/24")
                }
            }
        }
    }

    /// The services of the cluster, in start order.
    var plan: [(node: String, service: String, logName: String)] {
        guard let testbed else { return Self.loopbackPlan }
        return Self.loopbackPlan.filter { $0.service != "multicast-agent" && $0.node != "dp2" }
            + testbed.agents.map { ($0.node, "multicast-agent", "agent.log") }
    }

    var agentAddresses: [String: (String, String)] {
        guard let testbed else { return Self.agentAddresses }
        return Dictionary(uniqueKeysWithValues: testbed.agents.map { ($0.node, ($0.address, $0.subnet)) })
    }

    static var ipCommand: String {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/sbin/ip"
    }

    static let loopbackPlan: [(node: String, service: String, logName: String)] = [
        ("site", "distribution-manager", "distmgr.log"),
        ("ptm", "package-transfer-manager", "pkgxfermgr.log"),
        ("mp", "management-point", "mp.log"),
        ("dp1", "pull-dp", "pulldp.log"),
        ("dp2", "pull-dp", "pulldp.log"),
        ("agent1", "multicast-agent", "agent.log"),
        ("agent2", "multicast-agent", "agent.log"),
        ("agent3", "multicast-agent", "agent.log"),
    ]

    /// Each agent's own loopback address, in two subnets (boundary groups can tell them apart).
    public static let agentAddresses = ["agent1": ("127.0.1.10", "127.0.1.0/24"), "agent2": ("127.0.2.10", "127.0.2.0/24"),
                                 "agent3": ("127.0.2.11", "127.0.2.0/24")]

    public init(layout: ClusterLayout, binaries: URL? = nil, journal: Bool = false, testbed: Testbed? = nil,
                log: @escaping @Sendable (String) -> Void = { print($0) }) {
        self.testbed = testbed
        self.layout = layout
        self.journal = journal
        self.binaries = binaries ?? ProcessLauncher.binaryFolder()
        self.log = log
    }

    /// One service's state as `cluster status` shows it.
    public struct ServiceState: Codable, Sendable {
        public var node: String
        public var service: String
        public var processID: Int32?
        public var running: Bool
        public var healthy: Bool
        public var busEndpoint: String
        public var httpURL: String
        public var logFile: String
    }

    /// What `up` did.
    public enum UpResult: Sendable, Equatable {
        case alreadyRunning
        case started([String])
    }

    /// Starts every service that is not running (creating the cluster on first use) and
    /// waits until all answer their health check.
    public func up(timeout: TimeInterval = 90) async throws -> UpResult {
        let description = layout.exists ? try layout.readDescription() : try create()
        var started: [String] = []
        for service in description.services where !isRunning(service) {
            let binary = binaries.appendingPathComponent(service.service)
            let arguments = ["--config", layout.configFile(of: service.node).path]
            let pid: Int32
            if let namespace = service.namespace {
                // `ip netns exec` enters the host's namespace and execs the service: same PID.
                guard FileManager.default.isExecutableFile(atPath: binary.path) else {
                    throw LaunchError("cannot find the executable \(binary.path); build with 'swift build' or set FERRY_BIN_DIR")
                }
                pid = try ProcessLauncher.spawn(executable: URL(fileURLWithPath: Self.ipCommand), arguments: ["netns", "exec", namespace, binary.path] + arguments,
                                                output: layout.outputFile(of: service.node), removingEnvironmentPrefix: "FERRY_")
            } else {
                pid = try ProcessLauncher.spawn(executable: binary, arguments: arguments,
                                                output: layout.outputFile(of: service.node), removingEnvironmentPrefix: "FERRY_")
            }
            try Data("\(pid)\n".utf8).write(to: layout.pidFile(of: service.node), options: .atomic)
            started.append(service.node)
        }
        guard !started.isEmpty else { return .alreadyRunning }
        let deadline = Date().addingTimeInterval(timeout)
        for node in started {
            guard let service = description.service(node) else { continue }
            while true {
                if await isHealthy(service) { break }
                if !isRunning(service) {
                    throw LaunchError("\(service.service) (\(node)) exited during start-up; last lines of its output:\n\(tail(layout.outputFile(of: node)))\(tail(URL(fileURLWithPath: service.logFile)))")
                }
                if Date() > deadline {
                    throw LaunchError("\(service.service) (\(node)) did not become healthy within \(Int(timeout)) s; see \(service.logFile)")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        return .started(started)
    }

    /// Stops every running service (SIGTERM, then SIGKILL after `grace` seconds), in reverse
    /// start order. Returns the nodes that were stopped.
    public func down(grace: TimeInterval = 15) throws -> [String] {
        let description = try layout.readDescription()
        var stopped: [String] = []
        for service in description.services.reversed() {
            guard let pid = processID(service.node) else { continue }
            if ProcessLauncher.isRunning(pid, executableName: service.service, config: layout.configFile(of: service.node).path) {
                let killed = ProcessLauncher.stop(pid, executableName: service.service,
                                                  config: layout.configFile(of: service.node).path, grace: grace)
                stopped.append(service.node)
                if killed { log("\(service.node) did not stop within \(Int(grace)) s and was killed") }
            }
            try? FileManager.default.removeItem(at: layout.pidFile(of: service.node))
        }
        return stopped
    }

    public func status() async throws -> [ServiceState] {
        let description = try layout.readDescription()
        var states: [ServiceState] = []
        for service in description.services {
            let running = isRunning(service)
            states.append(ServiceState(node: service.node, service: service.service, processID: running ? processID(service.node) : nil,
                                       running: running, healthy: running ? await isHealthy(service) : false,
                                       busEndpoint: service.busEndpoint, httpURL: service.httpURL, logFile: service.logFile))
        }
        return states
    }

    public func processID(_ node: String) -> Int32? {
        guard let text = try? String(contentsOf: layout.pidFile(of: node), encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func isRunning(_ service: ClusterService) -> Bool {
        guard let pid = processID(service.node) else { return false }
        return ProcessLauncher.isRunning(pid, executableName: service.service, config: layout.configFile(of: service.node).path)
    }

    func isHealthy(_ service: ClusterService) async -> Bool {
        let options = HTTPRequestOptions(timeoutSeconds: 2, connectTimeoutSeconds: 1)
        guard let response = try? await HTTPClient.shared.get(service.httpURL + "/health", options: options) else { return false }
        return response.status == 200
    }

    private func tail(_ file: URL) -> String {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(8).joined(separator: "\n") + "\n"
    }

    // MARK: Creation

    /// Writes keys and one config file per service; the local cluster uses short timers.
    func create() throws -> ClusterDescription {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: layout.keysFolder, withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: 0o700])
        try SiteTokenSigner.generateKeyPair(privateKeyFile: layout.siteSigningKey, publicKeyFile: layout.siteSigningPublicKey)
        let cli = try CurveKeyPair.generate()
        try cli.write(to: layout.cliKeyFile)
        let plan = self.plan
        // In the test bed every host has its own namespace, so fixed ports are free.
        let ports = testbed == nil ? try ProcessLauncher.freePorts(plan.count * 2) : plan.indices.flatMap { [7001 + $0, 8001 + $0] }
        var services: [ClusterService] = []
        var keys: [String: CurveKeyPair] = [:]
        for (index, entry) in plan.enumerated() {
            let pair = try CurveKeyPair.generate()
            try pair.write(to: layout.keyFile(of: entry.node))
            keys[entry.node] = pair
            try fileManager.createDirectory(at: layout.folder(of: entry.node), withIntermediateDirectories: true)
            // Test bed: an agent runs in its own host's namespace, every other service on the site host.
            let agent = testbed?.agents.first { $0.node == entry.node }
            let host = testbed == nil ? "127.0.0.1" : agent?.address ?? Testbed.siteAddress
            let namespace = testbed.map { _ in agent?.namespace ?? Testbed.siteNamespace }
            services.append(ClusterService(
                node: entry.node, service: entry.service,
                busEndpoint: "tcp://\(host):\(ports[index * 2])", httpURL: "http://\(host):\(ports[index * 2 + 1])",
                publicKey: pair.publicKey, logFile: layout.folder(of: entry.node).appendingPathComponent(entry.logName).path,
                namespace: namespace))
        }
        let description = ClusterDescription(services: services, createdAt: Date())
        for service in services {
            let text = try configuration(for: service, in: description, cliKey: cli.publicKey).yaml()
            try Data(text.utf8).write(to: layout.configFile(of: service.node), options: .atomic)
        }
        try layout.write(description)
        log("created a local cluster in \(layout.root.path) (keys, one config per service; short timers for a local test site: agents poll policy every 2 s and retry after 5 s, the PTM retries after 5 s, checks pull DPs' sources every 5 s and asks a silent pull DP after 30 s, a pull DP without a source tries again after 5 s)")
        return description
    }

    /// One service's settings in the local cluster; `create` writes them as its config file.
    func configuration(for service: ClusterService, in cluster: ClusterDescription, cliKey: String) throws -> ClusterServiceConfiguration {
        // Each service accepts exactly the clients that talk to it, each with its role.
        let cli = KnownPeer(node: "cli", role: .admin, publicKey: cliKey)
        let peer = { (node: String, role: PeerRole) in KnownPeer(node: node, role: role, publicKey: cluster.service(node)?.publicKey) }
        let clients: [KnownPeer]
        switch service.service {
        case "distribution-manager": clients = [cli, peer("ptm", .transferManager), peer("mp", .managementPoint)]
        case "package-transfer-manager": clients = [cli, peer("site", .site)]
        case "management-point": clients = [cli, peer("site", .site)] + agentAddresses.keys.sorted().map { peer($0, .agent) }
        case "multicast-agent": clients = [cli]
        default: clients = [cli, peer("site", .site), peer("ptm", .transferManager)]
        }
        let folder = layout.folder(of: service.node)
        let common = CommonSettings(
            node: service.node, dataDirectory: folder.path, logFile: service.logFile,
            bus: BusSettings(bind: service.busEndpoint, keyFile: layout.keyFile(of: service.node).path, clients: clients),
            http: HTTPSettings(host: URL(string: service.httpURL)?.host ?? "127.0.0.1", port: URL(string: service.httpURL)?.port ?? 0),
            journal: journal ? folder.appendingPathComponent("journal.jsonl").path : nil)
        let inbox = { (node: String) in PeerSettings(endpoint: cluster.service(node)?.busEndpoint ?? "", publicKey: cluster.service(node)?.publicKey) }
        let specific: ClusterServiceConfiguration.Specific
        switch service.service {
        case "distribution-manager":
            specific = .distributionManager(DistributionManagerSettings(
                packageTransferManager: inbox("ptm"), managementPoint: inbox("mp"),
                distributionPoints: cluster.services.filter { $0.service == "pull-dp" }.map {
                    DistributionPointSettings(name: $0.node, busEndpoint: $0.busEndpoint, httpURL: $0.httpURL, publicKey: $0.publicKey)
                },
                siteSigningKeyFile: layout.siteSigningKey.path, sourceRoots: sourceRoots))
        case "package-transfer-manager":
            // Local test site: retries in seconds (a real site keeps the seed's 30 minutes).
            specific = .packageTransferManager(PackageTransferManagerSettings(
                distributionManager: inbox("site"), maximumConcurrentContents: 3, maximumDistributionPointsPerContent: 5,
                retry: RetrySettings(maximumAttempts: 100, delaySeconds: 5), distributionPointTimeoutSeconds: 5,
                pull: PullCycleSettings(sourceCheckSeconds: 5, statusWaitSeconds: 30, statusPollSeconds: 30)))
        case "pull-dp":
            // Local test site: a pull DP that finds no source tries again after 5 s (a real site keeps the seed's 30 minutes).
            specific = .pullDP(PullDPSettings(sitePublicKeyFile: layout.siteSigningPublicKey.path, managementPoint: inbox("mp"),
                                              pull: PullSettings(sourceRetrySeconds: 5)))
        case "management-point":
            specific = .managementPoint(ManagementPointSettings(siteSigningKeyFile: layout.siteSigningKey.path, distributionManager: inbox("site")))
        case "multicast-agent":
            let (address, subnet) = agentAddresses[service.node] ?? ("127.0.0.1", "127.0.0.0/8")
            // Local test site: policy every 2 s, retries after 5 s (a real site keeps the seed's 60 minutes and 1 hour).
            var settings = MulticastAgentSettings(managementPoint: inbox("mp"), address: address, subnet: subnet,
                                                  policyIntervalSeconds: 2, retryIntervalSeconds: 5,
                                                  sitePublicKeyFile: layout.siteSigningPublicKey.path)
            setSubnetChannel(of: &settings)
            specific = .multicastAgent(settings)
        default:
            throw LaunchError("no configuration for the service \(service.service)")
        }
        return ClusterServiceConfiguration(common: common, specific: specific,
                                           comment: "Ferry \(service.service) for the local cluster in \(layout.root.path), written by 'ferry cluster up'.")
    }

    /// Loopback cannot multicast, so the subnet channel (peers, multicast) is off there; the
    /// test bed has it: multicast per deployment (deploy --multicast on), the seed's 60 s start delay.
    private func setSubnetChannel(of settings: inout MulticastAgentSettings) {
        guard let testbed else {
            settings.peerCaching = peerCachingOnLoopback
            if peerCachingOnLoopback {
                var subnet = SubnetSettings()
                subnet.enabled = false
                settings.multicast = subnet
            }
            return
        }
        settings.peerCaching = testbed.peerCaching
        var subnet = SubnetSettings()
        subnet.enabled = false
        subnet.startDelaySeconds = 60
        subnet.rateMegabitsPerSecond = testbed.multicastRateMegabits
        subnet.discoverySeconds = 1
        subnet.failoverSeconds = 3
        subnet.lingerSeconds = 5
        settings.multicast = subnet
    }
}
