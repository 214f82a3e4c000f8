import Foundation
import Testing

/// The subset of `ferry locate NAME --agent A --json` the tests read.
struct ExplanationJSON: Decodable {
    struct Candidate: Decodable {
        var name: String
        var hasVersion: Bool
    }
    struct Decision: Decodable {
        var kind: String
        var distributionPoints: [String]
        var reason: String
    }
    var deploymentID: String?
    var candidates: [Candidate]
    var answer: [LocationJSON.Point]
    var onDemandDistribution: [String]
    var decision: Decision
}

/// The settings part of `ferry dp list --json` (usage is live and left out).
struct PointSettingsJSON: Decodable, Equatable {
    struct Point: Decodable, Equatable {
        var name: String
        var allowFallback: Bool?
        var groups: [String]?
        var installedVersions: Int
        var pendingVersions: Int
    }
    var points: [Point]
}

/// One cell of the Portuguese seed's table "Cenários de Localização da Origem de Conteúdo".
///
/// agent1 (127.0.1.10) is in boundary group branch-1, whose only DP is dp1 (fast): dp1 is
/// its preferred DP. dp2 is in no group of agent1 and allows fallback.
struct LocationCell: Sendable, CustomTestStringConvertible {
    enum Scenario: CaseIterable, Sendable {
        /// Scenario 1: fallback not allowed; slow-network setting anything (here: download).
        case fallbackOff
        /// Scenario 2: fallback allowed; do not download on slow links.
        case fallbackDoNotDownload
        /// Scenario 3: fallback allowed; download and install on slow links.
        case fallbackDownload
    }
    enum Condition: CaseIterable, Sendable {
        /// The preferred DP has the content (the fallback DP too).
        case onPreferred
        /// Only the fallback DP has it.
        case onlyOnFallback
        /// Only the fallback DP has it, and the content is distributed on demand.
        case onDemand
    }

    var scenario: Scenario
    var condition: Condition

    static let all = Condition.allCases.flatMap { condition in Scenario.allCases.map { LocationCell(scenario: $0, condition: condition) } }

    var testDescription: String { "\(scenario) × \(condition)" }

    var deployFlags: [String] {
        switch scenario {
        case .fallbackOff: ["--slow-network", "download"]
        case .fallbackDoNotDownload: ["--allow-fallback", "--slow-network", "do-not-download"]
        case .fallbackDownload: ["--allow-fallback", "--slow-network", "download"]
        }
    }

    /// The DP list the management point gives agent1 first.
    var expectedAnswer: [String] {
        switch (scenario, condition) {
        case (.fallbackOff, .onPreferred): ["dp1"]
        case (_, .onPreferred): ["dp1", "dp2"]
        case (.fallbackOff, _): []
        case (_, _): ["dp2"]
        }
    }

    /// What agent1 does with it first.
    var expectedDecision: String {
        switch (scenario, condition) {
        case (_, .onPreferred), (.fallbackDownload, _): "download"
        case (_, .onlyOnFallback): "content-not-available"
        case (_, .onDemand): "wait-for-on-demand-distribution"
        }
    }

    /// Where agent1 finally installs from; nil when it never does (it keeps retrying).
    var expectedSource: String? {
        switch (scenario, condition) {
        case (_, .onPreferred): "dp1"
        case (.fallbackDownload, _): "dp2"
        case (_, .onDemand): "dp1"
        case (_, .onlyOnFallback): nil
        }
    }
}

extension ClusterTests {
    @Test("content location: the seed's table, each of the nine cells with real services and an agent", arguments: LocationCell.all)
    func contentLocationScenario(_ cell: LocationCell) async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("setup.bin", 400_000)])
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "app", "--source", source.path])
        try cluster.ok(["boundary-group", "create", "branch-1", "--subnet", "127.0.1.0/24"])
        try cluster.ok(["boundary-group", "add-dp", "branch-1", "dp1", "--fast"])
        try cluster.ok(["dp", "set", "dp2", "--allow-fallback", "true"])
        try cluster.ok(["collection", "create", "cell", "--agent", "agent1"])
        if cell.condition == .onDemand {
            try cluster.ok(["content", "set", "app", "--distribute-on-demand", "true"])
        }
        try cluster.ok(["distribute", "app", "--dp", "dp2"] + (cell.condition == .onPreferred ? ["--dp", "dp1"] : []))
        #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "60"]).status == 0)

        // The prediction is taken while agent1 is stopped, so it describes its next move.
        _ = try await eventually { try cluster.ok(["agent", "list"]) } until: { $0.contains("agent1") }
        try cluster.kill9("agent1")
        try cluster.ok(["deploy", "app", "--collection", "cell", "--run", "echo ran >> ran.txt"] + cell.deployFlags)
        let prediction = try await eventually { try cluster.json(ExplanationJSON.self, ["locate", "app", "--agent", "agent1"]) } until: {
            $0.deploymentID != nil && $0.candidates.contains { $0.name == "dp2" && $0.hasVersion }
        }
        #expect(prediction.deploymentID != nil, "the MP knows the deployment")
        #expect(prediction.answer.map(\.name) == cell.expectedAnswer)
        #expect(prediction.answer.allSatisfy { $0.preferred == ($0.name == "dp1") })
        #expect(prediction.answer.allSatisfy { $0.slow == ($0.name == "dp2") }, "a fallback DP is always slow; dp1 is fast")
        #expect(prediction.decision.kind == cell.expectedDecision, "\(prediction.decision.reason)")
        #expect(prediction.onDemandDistribution == (cell.condition == .onDemand ? ["dp1"] : []))

        try cluster.up()
        let status: DeploymentJSON
        if let expectedSource = cell.expectedSource {
            status = try await eventually { try cluster.json(DeploymentJSON.self, ["deployment", "status", "app"]) } until: {
                // A failure with an exit code is final; others are retried by the agent.
                $0.agents.contains { $0.agent == "agent1" && ($0.state == "installed" || $0.exitCode != nil) }
            }
            let agent = try #require(status.agents.first { $0.agent == "agent1" })
            #expect(agent.state == "installed" && agent.exitCode == 0, "\(agent.detail ?? "")")
            #expect(agent.source == expectedSource)
            if prediction.decision.kind == "download" {
                // locate said where it would download from, and it did, from the same list.
                #expect(agent.source == prediction.decision.distributionPoints.first)
                #expect(agent.answer?.map(\.name) == prediction.answer.map(\.name))
            }
            let folder = cluster.data.appendingPathComponent("agent1/cache/app/\(status.deployment.versionID)")
            #expect(try Data(contentsOf: folder.appendingPathComponent("setup.bin")) == Data(contentsOf: source.appendingPathComponent("setup.bin")))
        } else {
            status = try await eventually { try cluster.json(DeploymentJSON.self, ["deployment", "status", "app"]) } until: {
                $0.agents.contains { $0.agent == "agent1" && $0.state == "content-not-available" }
            }
            let agent = try #require(status.agents.first { $0.agent == "agent1" })
            #expect(agent.state == "content-not-available")
            #expect(agent.answer?.map(\.name) == prediction.answer.map(\.name), "the agent got the answer locate showed")
            #expect(agent.detail?.contains("next try at") == true, "it retries on its own: \(agent.detail ?? "")")
            #expect(agent.source == nil)
        }

        // Where it did not download from, nothing was served to it.
        let servedByFallback = try await cluster.metric("dp2", "ferry_dp_served_chunk_bytes_total")
        #expect((servedByFallback > 0) == (cell.expectedSource == "dp2"))

        // On demand: the site distributed to exactly the client's preferred DPs, once; the
        // client first reported "content not available" and installed after its retry.
        let targets = try cluster.json(StatusJSON.self, ["status", "app"]).targets
        let onDemand = targets.filter { $0.origin?.hasPrefix("on demand") == true }
        #expect(onDemand.map(\.distributionPoint) == (cell.condition == .onDemand ? ["dp1"] : []))
        if cell.condition == .onDemand {
            let log = try String(contentsOf: cluster.data.appendingPathComponent("site/distmgr.log"), encoding: .utf8)
            #expect(log.components(separatedBy: "on-demand distribution requested").count - 1 == 1,
                    "one request however often the client asked")
            if cell.scenario != .fallbackDownload {
                let agentLog = try String(contentsOf: cluster.data.appendingPathComponent("agent1/agent.log"), encoding: .utf8)
                #expect(agentLog.contains("content not available"))
            }
        }
    }
}

extension ClusterTests {
    @Test("bad input around locations: invalid subnets, inverted ranges, unknown DPs, agents and collections get clear errors and change nothing")
    func locationBadInput() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("x.bin", 50_000)])
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "app", "--source", source.path])
        let groupsBefore = try cluster.ok(["boundary-group", "list"])
        let pointsBefore = try cluster.json(PointSettingsJSON.self, ["dp", "list"])

        let cases: [([String], String)] = [
            (["boundary-group", "create", "bad", "--subnet", "10.0.0.0/40"], "not"),
            (["boundary-group", "create", "bad", "--subnet", "300.0.0.0/24"], "not"),
            (["boundary-group", "create", "bad", "--range", "10.0.0.9-10.0.0.1"], "ends before it starts"),
            (["boundary-group", "add-dp", "nowhere", "dp1"], "no boundary group named 'nowhere'"),
            (["boundary-group", "add-dp", "x", "dp1", "--slow", "--fast"], "either --slow or --fast"),
            (["dp", "set", "dp9", "--allow-fallback", "true"], "no distribution point named 'dp9'"),
            (["dp", "set", "dp1", "--allow-fallback", "maybe"], "maybe"),
            (["dp", "set", "dp1"], "nothing to change"),
            (["content", "set", "nothing", "--distribute-on-demand", "true"], "no content named 'nothing'"),
            (["deploy", "app", "--collection", "Nowhere"], "no collection named 'Nowhere'"),
            (["deploy", "app", "--collection", "All Systems", "--slow-network", "sometimes"], "sometimes"),
            (["locate", "app", "--agent", "ghost"], "agent 'ghost' has not registered"),
            (["locate", "app", "--agent", "agent1", "--address", "127.0.1.10"], "either --agent NAME or --address IP"),
            (["locate", "app", "--agent", "agent1", "--allow-fallback"], "deployment says"),
            (["distribute", "app"], "name at least one target"),
        ]
        for (arguments, message) in cases {
            let result = try cluster.ferry(arguments)
            #expect(result.status != 0, "\(arguments) should fail")
            #expect(result.error.contains(message), "\(arguments): \(result.error)")
            #expect(result.error.split(separator: "\n").count == 1, "one line: \(result.error)")
        }
        #expect(try cluster.ok(["boundary-group", "list"]) == groupsBefore)
        #expect(try cluster.json(PointSettingsJSON.self, ["dp", "list"]) == pointsBefore)
        let deployment = try cluster.ferry(["deployment", "status", "app"])
        #expect(deployment.error.contains("has not been deployed"))
    }
}
