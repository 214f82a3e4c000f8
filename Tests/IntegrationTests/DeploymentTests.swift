import Bus
import Foundation
import Logging
import Messages
import ServiceKit
import Testing

/// The subset of `ferry deployment status --json` the tests read.
struct DeploymentJSON: Decodable {
    struct Deployment: Decodable {
        var id: String
        var versionID: String
    }
    struct Agent: Decodable {
        var agent: String
        var state: String
        var source: String?
        var exitCode: Int32?
        var detail: String?
        var answer: [LocationJSON.Point]?
    }
    var deployment: Deployment
    var agents: [Agent]
}

extension ClusterTests {
    @Test("three agents in two subnets get a deployment from their own boundary group's DP, byte for byte, and run it once")
    func deployToAllSystems() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("setup.bin", 3_000_000), ("data/cab 1.cab", 700_000)])
        try FileManager.default.createDirectory(at: source.appendingPathComponent("empty"), withIntermediateDirectories: true)
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "suite", "--source", source.path])
        try cluster.ok(["boundary-group", "create", "hq", "--subnet", "127.0.1.0/24"])
        try cluster.ok(["boundary-group", "create", "branch", "--subnet", "127.0.2.0/24"])
        try cluster.ok(["boundary-group", "add-dp", "hq", "dp1"])
        try cluster.ok(["boundary-group", "add-dp", "branch", "dp2"])
        try cluster.ok(["distribute", "suite", "--dp", "dp1", "--dp", "dp2"])
        #expect(try cluster.ferry(["status", "suite", "--wait", "--timeout", "120"]).status == 0)
        try cluster.ok(["deploy", "suite", "--collection", "All Systems", "--run", "echo run >> runs.log"])
        let waited = try cluster.ferry(["deployment", "status", "suite", "--wait", "--timeout", "120"])
        #expect(waited.status == 0, "\(waited.error)\n\(waited.output)")

        let status = try cluster.json(DeploymentJSON.self, ["deployment", "status", "suite"])
        let byAgent = Dictionary(status.agents.map { ($0.agent, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byAgent["agent1"]?.source == "dp1", "agent1 is in 127.0.1.0/24: its DP is dp1")
        #expect(byAgent["agent2"]?.source == "dp2")
        #expect(byAgent["agent3"]?.source == "dp2")
        #expect(status.agents.allSatisfy { $0.state == "installed" && $0.exitCode == 0 })
        // Issue 15 item 7: each agent's /metrics holds the time its download took.
        for agent in ["agent1", "agent2", "agent3"] {
            let obtained = try await cluster.metric(agent, #"ferry_agent_download_duration_seconds_count{path="subnet",outcome="obtained"}"#)
                + cluster.metric(agent, #"ferry_agent_download_duration_seconds_count{path="distribution-point",outcome="obtained"}"#)
            #expect(obtained == 1, "\(agent) recorded \(obtained) downloads")
        }
        let usage = try cluster.json(DistributionPointListJSON.self, ["dp", "list"])
        #expect(usage.points.first { $0.name == "dp1" }?.usage?.uniqueClients == 1)
        #expect(usage.points.first { $0.name == "dp2" }?.usage?.uniqueClients == 2)

        for agent in ["agent1", "agent2", "agent3"] {
            let folder = cluster.data.appendingPathComponent("\(agent)/cache/suite/\(status.deployment.versionID)")
            #expect(try Data(contentsOf: folder.appendingPathComponent("setup.bin")) == Data(contentsOf: source.appendingPathComponent("setup.bin")))
            #expect(try Data(contentsOf: folder.appendingPathComponent("data/cab 1.cab")) == Data(contentsOf: source.appendingPathComponent("data/cab 1.cab")))
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("empty").path))
            // The command ran exactly once, even across further policy cycles.
            try await Task.sleep(for: .milliseconds(agent == "agent1" ? 2500 : 0))
            #expect(try String(contentsOf: folder.appendingPathComponent("runs.log"), encoding: .utf8) == "run\n")
        }
        var agents = try cluster.ferry(["agent", "list"])
        for _ in 0..<50 where !agents.output.contains("suite (") {
            try await Task.sleep(for: .milliseconds(100))
            agents = try cluster.ferry(["agent", "list"])
        }
        #expect(agents.output.contains("127.0.2.11"))
        #expect(agents.output.contains("suite (\(status.deployment.versionID.prefix(12)))"), "agent list names cached contents: \(agents.output)")
    }

    @Test("cache-only deployments run nothing; without a DP holding the content agents report content not available, then get it")
    func cacheOnlyAndContentNotAvailable() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("driver.inf", 50_000)])
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "driver", "--source", source.path])
        try cluster.ok(["boundary-group", "create", "everyone", "--subnet", "127.0.0.0/8"])
        try cluster.ok(["boundary-group", "add-dp", "everyone", "dp1"])
        try cluster.ok(["deploy", "driver", "--collection", "All Systems", "--cache-only"])

        var notAvailable = false
        for _ in 0..<100 {
            let status = try cluster.json(DeploymentJSON.self, ["deployment", "status", "driver"])
            if status.agents.count == 3 && status.agents.allSatisfy({ $0.state == "content-not-available" }) {
                notAvailable = true
                #expect(status.agents.allSatisfy { $0.detail?.contains("next try") == true })
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(notAvailable, "with no DP holding the content every agent says so")

        try cluster.ok(["distribute", "driver", "--dp", "dp1"])
        let waited = try cluster.ferry(["deployment", "status", "driver", "--wait", "--timeout", "120"])
        #expect(waited.status == 0, "\(waited.error)")
        let status = try cluster.json(DeploymentJSON.self, ["deployment", "status", "driver"])
        #expect(status.agents.allSatisfy { $0.state == "cached" && $0.exitCode == nil })
        let folder = cluster.data.appendingPathComponent("agent2/cache/driver/\(status.deployment.versionID)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["driver.inf"], "cache only: the files and nothing else")

        let bad = try cluster.ferry(["deploy", "driver", "--collection", "Nowhere"])
        #expect(bad.error.contains("no collection named 'Nowhere'"))
        let both = try cluster.ferry(["deploy", "driver", "--collection", "All Systems", "--cache-only", "--run", "x"])
        #expect(both.status != 0)
    }
}


extension ClusterTests {
    @Test("an agent registering with a malformed address or subnet is refused and changes nothing")
    func malformedAgentRegistration() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        try cluster.up()
        let mp = try cluster.service("mp")
        // agent1's own key: the MP checks who speaks before it checks what is said.
        let identity = try CurveKeyPair.load(from: cluster.data.appendingPathComponent("keys/agent1.key").path)
        let client = BusClient(node: "agent1", peer: "management-point", endpoint: mp.bus,
                               security: BusClientSecurity(identity: identity, serverKey: mp.publicKey), sourceAddress: "127.0.1.10",
                               clock: SystemClock(), logger: Logger(label: "test"))
        defer { client.close() }
        for (address, subnet) in [("127.0.2.300", "127.0.2.0/24"), ("not-an-ip", "127.0.2.0/24"), ("127.0.2.20", "127.0.2.0/99")] {
            let error = await #expect(throws: BusError.self) {
                _ = try await client.request(AgentRegistration(agent: "agent1", address: address, subnet: subnet, cachedVersions: []))
            }
            #expect(error?.remoteCode == .invalidArgument, "\(address) \(subnet): \(String(describing: error))")
        }
        // A well-formed registration for another agent, or for an address it does not connect from (issue 14).
        for registration in [AgentRegistration(agent: "rogue", address: "127.0.1.10", subnet: "127.0.1.0/24", cachedVersions: []),
                             AgentRegistration(agent: "agent1", address: "127.0.2.20", subnet: "127.0.2.0/24", cachedVersions: [])] {
            let error = await #expect(throws: BusError.self) { _ = try await client.request(registration) }
            #expect(error?.remoteCode == .notAuthorized, "\(registration.agent) \(registration.address): \(String(describing: error))")
        }
        let agents = try cluster.ferry(["agent", "list"])
        #expect(agents.status == 0)
        #expect(!agents.output.contains("rogue"))
        #expect(!agents.output.contains("127.0.2.20"))
        #expect(agents.output.contains("agent1"))
    }
}

struct CollectionListJSON: Decodable {
    struct Collection: Decodable {
        var name: String
    }
    var collections: [Collection]
}

extension ClusterTests {
    @Test("a collection by subnet gets the deployment; agents outside it do not")
    func collectionsTargetTheirAgents() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("branch-tool.exe", 80_000)])
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "branch-tool", "--source", source.path])
        try cluster.ok(["boundary-group", "create", "everyone", "--subnet", "127.0.0.0/8"])
        try cluster.ok(["boundary-group", "add-dp", "everyone", "dp2"])
        try cluster.ok(["distribute", "branch-tool", "--dp", "dp2"])
        #expect(try cluster.ferry(["status", "branch-tool", "--wait", "--timeout", "60"]).status == 0)
        let collections = try cluster.json(CollectionListJSON.self, ["collection", "list"])
        #expect(collections.collections.map(\.name) == ["All Systems"])
        try cluster.ok(["collection", "create", "Branch", "--subnet", "127.0.2.0/24"])
        try cluster.ok(["collection", "create", "HQ desk", "--agent", "agent1"])
        #expect(try cluster.ferry(["collection", "create", "Branch", "--agent", "agent1"]).error.contains("already exists"))
        #expect(try cluster.ferry(["collection", "create", "bad", "--subnet", "1.2.3.4/40"]).status != 0)

        try cluster.ok(["deploy", "branch-tool", "--collection", "Branch", "--cache-only"])
        let waited = try cluster.ferry(["deployment", "status", "branch-tool", "--wait", "--timeout", "120"])
        #expect(waited.status == 0, "\(waited.error)")
        // Give agent1 a few policy cycles in which it must not pick the deployment up.
        try await Task.sleep(for: .seconds(5))
        let status = try cluster.json(DeploymentJSON.self, ["deployment", "status", "branch-tool"])
        #expect(Set(status.agents.map(\.agent)) == ["agent2", "agent3"])
        #expect(!FileManager.default.fileExists(atPath: cluster.data.appendingPathComponent("agent1/cache/branch-tool").path))
    }
}

extension ClusterTests {
    @Test("a deadline: content arrives at once, the command runs at the deadline, once, even across an agent restart")
    func deadlineAndRunOnce() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("patch.msp", 60_000)])
        try cluster.up()
        let created = try cluster.json(VersionJSON.self, ["content", "create", "--name", "patch", "--source", source.path])
        try cluster.ok(["boundary-group", "create", "everyone", "--subnet", "127.0.0.0/8"])
        try cluster.ok(["boundary-group", "add-dp", "everyone", "dp1"])
        try cluster.ok(["distribute", "patch", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "patch", "--wait", "--timeout", "60"]).status == 0)
        #expect(try cluster.ferry(["deploy", "patch", "--collection", "All Systems", "--deadline", "soon"]).status != 0)
        try cluster.ok(["deploy", "patch", "--collection", "All Systems", "--run", "echo ran >> runs.log", "--deadline", "+8s"])
        let runs = cluster.data.appendingPathComponent("agent2/cache/patch/\(created.version.versionID)/runs.log")

        var waitingSeen = false
        for _ in 0..<60 {
            let status = try cluster.json(DeploymentJSON.self, ["deployment", "status", "patch"])
            if status.agents.contains(where: { $0.state == "waiting-deadline" }) {
                waitingSeen = true
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(waitingSeen, "before the deadline agents hold the content and wait")
        #expect(!FileManager.default.fileExists(atPath: runs.path), "nothing runs before the deadline")
        let waited = try cluster.ferry(["deployment", "status", "patch", "--wait", "--timeout", "120"])
        #expect(waited.status == 0, "\(waited.error)")
        #expect(try String(contentsOf: runs, encoding: .utf8) == "ran\n")

        // After the run, a crash and restart of the agent runs nothing again.
        try cluster.kill9("agent2")
        try cluster.up()
        try await Task.sleep(for: .seconds(5))
        #expect(try String(contentsOf: runs, encoding: .utf8) == "ran\n")
        let status = try cluster.json(DeploymentJSON.self, ["deployment", "status", "patch"])
        #expect(status.agents.first { $0.agent == "agent2" }?.state == "installed")
    }
}
