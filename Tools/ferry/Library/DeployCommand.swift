import ArgumentParser
import Foundation
import Messages
import ServiceKit

extension SlowNetworkBehavior: ExpressibleByArgument {}

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Deploy a content's current version to a collection of agents.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The content's name.") var name: String
    @Option(help: "The collection (\"All Systems\" holds every agent).") var collection: String
    @Option(help: "A command run once per version in the cached folder.") var run: String?
    @Flag(help: "Only download into the agents' caches; run nothing (SPEC S7).") var cacheOnly = false
    @Option(help: "When the command runs: an ISO 8601 time (2026-12-01T22:00:00Z) or from now (+90s, +15m, +2h). Content downloads at once.")
    var deadline: String?
    @Flag(help: "Agents may use fallback DPs (those with allow-fallback) when no preferred DP has the content.")
    var allowFallback = false
    @Option(help: "On a slow link (a slow boundary-group DP, or any fallback DP): download or do-not-download.")
    var slowNetwork: SlowNetworkBehavior = .download
    @Option(help: "Multicast in each subnet: on or off (default: each agent's own setting, SPEC S6).")
    var multicast: OnOff?
    @Option(help: "Seconds a subnet's representative waits before it multicasts (default: the agent's setting, 60 s).")
    var multicastDelay: Double?

    func validate() throws {
        if let multicastDelay, !(multicastDelay.isFinite && multicastDelay >= 0 && multicastDelay <= 86_400) {
            throw ValidationError("--multicast-delay must be between 0 and 86400 seconds")
        }
        if cacheOnly && run != nil { throw ValidationError("--cache-only runs nothing: leave out --run") }
        if let deadline, Self.parse(deadline) == nil {
            throw ValidationError("--deadline takes an ISO 8601 time like 2026-12-01T22:00:00Z or +90s / +15m / +2h; got '\(deadline)'")
        }
    }

    static func parse(_ text: String) -> Date? {
        if text.hasPrefix("+"), let unit = text.last, let amount = Double(text.dropFirst().dropLast()), amount.isFinite, amount >= 0 {
            switch unit {
            case "s": return Date().addingTimeInterval(amount)
            case "m": return Date().addingTimeInterval(amount * 60)
            case "h": return Date().addingTimeInterval(amount * 3600)
            default: return nil
            }
        }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    func run() async throws {
        let reply = try await global.connection().request(
            Deploy(content: name, collection: collection, command: run, cacheOnly: cacheOnly, deadline: deadline.flatMap(Self.parse),
                   allowFallback: allowFallback, slowNetwork: slowNetwork,
                   multicast: multicast.map { $0 == .on }, multicastDelaySeconds: multicastDelay))
        if global.json { return try Formatting.printJSON(reply) }
        let deployment = reply.deployment
        print("deployed \(deployment.content) (\(deployment.versionID.prefix(16))…) to \(deployment.collection) as \(deployment.id)"
              + (deployment.cacheOnly ? ", cache only" : deployment.command.map { ", then run: \($0)" } ?? "")
            + (deployment.deadline.map { " at \($0.formatted(date: .abbreviated, time: .standard))" } ?? ""))
        print("  fallback DPs \(deployment.allowFallback ? "allowed" : "not allowed"); on slow links: \(deployment.slowNetwork.rawValue)")
        print("  multicast: " + (deployment.multicast.map { $0 ? "on" : "off" } ?? "each agent's setting")
              + (deployment.multicastDelaySeconds.map { ", start delay \(Int($0)) s" } ?? ""))
        print("follow it with: ferry deployment status \(deployment.content) --wait")
    }
}

struct DeploymentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deployment", abstract: "Deployments.", subcommands: [Status.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every agent's state on a content's newest deployment.",
            discussion: "With --wait: exits 0 once every registered agent has it cached or installed, 1 when one failed, 2 on timeout.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The content's name.") var name: String
        @Flag(help: "Follow progress until every agent is done.") var wait = false
        @Option(help: "With --wait: give up after this many seconds.") var timeout: Double = 3600

        func validate() throws {
            guard timeout.isFinite, timeout > 0, timeout <= 30 * 24 * 3600 else { throw ValidationError("--timeout must be between 0 and 2592000 seconds") }
        }

        func run() async throws {
            let connection = try global.connection()
            let deadline = Date().addingTimeInterval(timeout)
            var last = ""
            while true {
                var reply = try await connection.request(DeploymentStatusQuery(content: name))
                let agents = try await targets(of: reply.deployment, connection: connection)
                // Target agents that have not reported yet are waiting.
                let reported = Set(reply.agents.map(\.agent))
                reply.agents += agents.filter { !reported.contains($0) }.map {
                    AgentDeploymentState(agent: $0, deploymentID: reply.deployment.id, state: .waiting, bytesDone: 0, bytesTotal: 0,
                                         source: nil, exitCode: nil, detail: nil, updatedAt: Date())
                }
                reply.agents.sort { $0.agent < $1.agent }
                let states = Dictionary(reply.agents.map { ($0.agent, $0.state) }, uniquingKeysWith: { first, _ in first })
                let done = !agents.isEmpty && agents.allSatisfy { states[$0] == .cached || states[$0] == .installed }
                let failed = reply.agents.filter { $0.state == .failed && $0.exitCode != nil }
                let text = render(reply)
                if !wait || done || !failed.isEmpty || Date() > deadline {
                    if global.json { try Formatting.printJSON(reply) } else { print(text) }
                    guard wait else { return }
                    if done { return }
                    if !failed.isEmpty {
                        FileHandle.standardError.write(Data("ferry: the command failed on \(failed.map(\.agent).joined(separator: ", "))\n".utf8))
                        throw ExitCode(1)
                    }
                    FileHandle.standardError.write(Data("ferry: timed out after \(Int(timeout)) s\n".utf8))
                    throw ExitCode(2)
                }
                if !global.json && text != last {
                    print(text + "\n")
                    last = text
                }
                try await Task.sleep(for: .milliseconds(500))
            }
        }

        /// The registered agents the deployment's collection holds (the MP's rule, see AgentInventory).
        private func targets(of deployment: DeploymentPolicy, connection: SiteConnection) async throws -> [String] {
            let agents = try await connection.request(ListAgents()).agents
            let collections = try await connection.request(ListCollections()).collections
            guard deployment.collection != "All Systems",
                  let definition = collections.first(where: { $0.name == deployment.collection }) else {
                return agents.map(\.name)
            }
            let ranges = definition.subnets.compactMap { try? AddressRange(subnet: $0) }
            return agents.filter { agent in
                definition.agents.contains(agent.name)
                    || ranges.contains { range in AddressRange.parse(agent.address).map(range.contains) ?? false }
            }.map(\.name)
        }

        private func render(_ reply: DeploymentReply) -> String {
            "\(reply.deployment.id) to \(reply.deployment.collection)\n"
                + Formatting.table(["AGENT", "STATE", "FROM", "ROLE", "MULTICAST", "PEERS", "DP", "DETAIL"], reply.agents.map { agent in
                let state: String
                switch agent.state {
                case .downloading: state = "downloading \(Formatting.bytes(agent.bytesDone))/\(Formatting.bytes(agent.bytesTotal)) \(Formatting.percent(agent.bytesDone, agent.bytesTotal))"
                case .installed: state = "installed (exit \(agent.exitCode ?? 0))"
                default: state = agent.state.rawValue
                }
                func amount(_ bytes: Int64?) -> String { bytes.map(Formatting.bytes) ?? "-" }
                let role = agent.representative.map { $0 ? "representative" : "member" } ?? "-"
                return [agent.agent, state, Self.source(agent), role, amount(agent.bytesFromMulticast), amount(agent.bytesFromPeers),
                        amount(agent.bytesFromDistributionPoint), agent.detail ?? ""]
            })
        }

        /// The DP it downloaded from, marked when it was a fallback DP.
        static func source(_ agent: AgentDeploymentState) -> String {
            guard let source = agent.source else { return "-" }
            let located = agent.answer?.first { point in point.name == source }
            return located.map { $0.preferred ? source : "\(source) (fallback)" } ?? source
        }
    }
}

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agent", abstract: "Endpoint agents.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List agents: addresses, subnet, last seen, cached versions.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let reply = try await global.connection().request(ListAgents())
            if global.json { return try Formatting.printJSON(reply) }
            print(Formatting.table(["AGENT", "ADDRESS", "SUBNET", "LAST SEEN", "CACHED"], reply.agents.map {
                [$0.name, $0.address, $0.subnet, $0.lastSeen.formatted(date: .omitted, time: .standard),
                 $0.cachedVersions.isEmpty ? "-" : $0.cachedVersions.map { entry in
                     let parts = entry.split(separator: "@", maxSplits: 1)
                     return parts.count == 2 ? "\(parts[0]) (\(parts[1].prefix(12)))" : String(entry.prefix(24))
                 }.joined(separator: ", ")]
            }))
        }
    }
}

struct CollectionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collection", abstract: "Collections of agents that deployments target.", subcommands: [List.self, Create.self, Associate.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List collections (\"All Systems\" always exists and holds every agent).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let reply = try await global.connection().request(ListCollections())
            try CollectionCommand.show(reply, json: global.json)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a collection of named agents or of every agent in some subnets.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The collection's name.") var name: String
        @Option(help: "An agent (repeatable).") var agent: [String] = []
        @Option(help: "An IPv4 subnet whose agents belong to it (repeatable).") var subnet: [String] = []

        func validate() throws {
            if agent.isEmpty && subnet.isEmpty { throw ValidationError("give at least one --agent or --subnet") }
        }

        func run() async throws {
            let request = CreateCollection(collection: CollectionDefinition(name: name, agents: agent, subnets: subnet))
            let reply = try await global.connection().request(request)
            try CollectionCommand.show(reply, json: global.json)
        }
    }

    struct Associate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Associate a collection with a DP group.",
            discussion: "Later distributions to the collection reach the group; content already distributed to the collection moves only when distributed again.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The collection.") var name: String
        @Option(name: .customLong("dp-group"), help: "The DP group.") var group: String

        func run() async throws {
            let reply = try await global.connection().request(AssociateCollection(collection: name, distributionPointGroup: group))
            try DistributionPointGroupCommand.show(reply, json: global.json)
        }
    }

    static func show(_ reply: CollectionList, json: Bool) throws {
        if json { return try Formatting.printJSON(reply) }
        print(Formatting.table(["COLLECTION", "AGENTS", "SUBNETS"], reply.collections.map {
            [$0.name, $0.name == "All Systems" ? "every agent" : ($0.agents.isEmpty ? "-" : $0.agents.joined(separator: ", ")),
             $0.name == "All Systems" ? "-" : ($0.subnets.isEmpty ? "-" : $0.subnets.joined(separator: ", "))]
        }))
    }
}
