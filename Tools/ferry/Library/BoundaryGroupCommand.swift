import ArgumentParser
import Foundation
import Messages

struct BoundaryGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boundary-group", abstract: "Network locations and the DPs preferred there.",
        subcommands: [Create.self, AddDP.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a boundary group (or add ranges to one).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The group's name.") var name: String
        @Option(help: "An IPv4 subnet, e.g. 127.0.2.0/24 (repeatable).") var subnet: [String] = []
        @Option(help: "An IPv4 address range FIRST-LAST (repeatable).") var range: [String] = []

        func validate() throws {
            if subnet.isEmpty && range.isEmpty { throw ValidationError("give at least one --subnet or --range") }
            for value in range where value.split(separator: "-").count != 2 {
                throw ValidationError("--range takes FIRST-LAST, e.g. 10.0.0.10-10.0.0.99; got '\(value)'")
            }
        }

        func run() async throws {
            let ranges = subnet.map { BoundaryRange(subnet: $0, firstAddress: nil, lastAddress: nil) }
                + range.map { value in
                    let parts = value.split(separator: "-").map(String.init)
                    return BoundaryRange(subnet: nil, firstAddress: parts[0], lastAddress: parts[1])
                }
            let reply = try await global.connection().request(CreateBoundaryGroup(name: name, ranges: ranges))
            try BoundaryGroupCommand.show(reply, json: global.json)
        }
    }

    struct AddDP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-dp", abstract: "Make a DP preferred for a boundary group.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The boundary group.") var name: String
        @Argument(help: "The distribution point.") var distributionPoint: String
        @Flag(help: "The link from this location to the DP is slow.") var slow = false
        @Flag(help: "The link from this location to the DP is fast (the default).") var fast = false

        func validate() throws {
            if slow && fast { throw ValidationError("a link is either --slow or --fast") }
        }

        func run() async throws {
            let request = AddBoundaryGroupMember(group: name, member: BoundaryGroupMember(distributionPoint: distributionPoint, slow: slow))
            let reply = try await global.connection().request(request)
            try BoundaryGroupCommand.show(reply, json: global.json)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List boundary groups.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let reply = try await global.connection().request(ListBoundaryGroups())
            try BoundaryGroupCommand.show(reply, json: global.json)
        }
    }

    static func show(_ reply: BoundaryGroupsReply, json: Bool) throws {
        if json { return try Formatting.printJSON(reply) }
        print(Formatting.table(["GROUP", "RANGES", "DPS"], reply.groups.map { group in
            [group.name,
             group.ranges.map { $0.subnet ?? "\($0.firstAddress ?? "")-\($0.lastAddress ?? "")" }.joined(separator: ", "),
             group.members.map { "\($0.distributionPoint) (\($0.slow ? "slow" : "fast"))" }.joined(separator: ", ")]
        }))
    }
}

struct LocateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locate", abstract: "The content location answer the management point would give an agent (or address) now, and why.",
        discussion: "Changes nothing: no on-demand distribution is triggered. With --agent the agent's deployment settings are used.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The content's name.") var name: String
    @Option(help: "A registered agent.") var agent: String?
    @Option(help: "A client's IPv4 address.") var address: String?
    @Flag(help: "With --address: assume the deployment allows fallback DPs.") var allowFallback = false
    @Option(help: "With --address: assume download or do-not-download on slow links.") var slowNetwork: SlowNetworkBehavior?
    @Flag(help: "With --address: send the real request a client there would send. It may trigger on-demand distribution and returns a download token.")
    var request = false

    func validate() throws {
        if (agent == nil) == (address == nil) { throw ValidationError("give either --agent NAME or --address IP") }
        if agent != nil && (allowFallback || slowNetwork != nil || request) {
            throw ValidationError("with --agent the agent's deployment says whether fallback and slow links are allowed")
        }
    }

    func run() async throws {
        if request, let address {
            return try await sendRequest(address: address)
        }
        let query = LocationExplainQuery(content: name, agent: agent, clientAddress: address,
                                         allowFallback: agent == nil ? allowFallback : nil, slowNetwork: slowNetwork)
        let reply = try await global.connection().request(query)
        if global.json { return try Formatting.printJSON(reply) }
        let who = reply.agent.map { "\($0) (\(reply.clientAddress))" } ?? "a client at \(reply.clientAddress)"
        print("\(reply.content) (\(reply.versionID.prefix(16))…) for \(who)")
        print("  settings: fallback \(reply.allowFallback ? "allowed" : "not allowed"), slow links: \(reply.slowNetwork.rawValue)"
              + (reply.deploymentID.map { " (from deployment \($0))" } ?? (reply.agent != nil ? " (no deployment targets this agent; assumed)" : ""))
              + (reply.distributeOnDemand ? ", distributed on demand" : ""))
        print(Formatting.table(["DP", "ROLE", "LINK", "HAS VERSION", "IN ANSWER", "WHY"], reply.candidates.map {
            [$0.name, $0.preferred ? "preferred" : ($0.allowsFallback ? "fallback" : "-"), $0.slow ? "slow" : "fast",
             $0.hasVersion ? "yes" : "no", $0.listed ? "yes" : "no", $0.note]
        }))
        print("  answer: " + (reply.answer.isEmpty ? "no DP" : reply.answer.map { "\($0.name) (\($0.preferred ? "preferred" : "fallback"), \($0.slow ? "slow" : "fast"))" }.joined(separator: ", ")))
        if !reply.onDemandDistribution.isEmpty {
            let already = reply.onDemandAlreadyRequested
            print("  on-demand distribution to \(reply.onDemandDistribution.joined(separator: ", "))"
                  + (already.isEmpty ? ": the next request asks the site for it" : " (already requested for \(already.joined(separator: ", ")))"))
        }
        switch reply.decision.kind {
        case .download: print("  decision: download from \(reply.decision.distributionPoints[0]) — \(reply.decision.reason)")
        case .waitForOnDemandDistribution: print("  decision: wait for on-demand distribution (content not available until then) — \(reply.decision.reason)")
        case .contentNotAvailable: print("  decision: content not available, retry later — \(reply.decision.reason)")
        }
    }

    private func sendRequest(address: String) async throws {
        let reply = try await global.connection().request(
            ContentLocationQuery(content: name, versionID: nil, clientAddress: address, allowFallback: allowFallback))
        if global.json { return try Formatting.printJSON(reply) }
        print("\(reply.content) (\(reply.versionID.prefix(16))…) for a client at \(address):")
        if reply.distributionPoints.isEmpty {
            print("  content not available: no DP this client may use holds the version")
        } else {
            print(Formatting.table(["DP", "LINK", "PREFERRED", "BOUNDARY GROUPS", "URL"], reply.distributionPoints.map {
                [$0.name, $0.slow ? "slow" : "fast", $0.preferred ? "yes" : "no", $0.boundaryGroups.joined(separator: ", "), $0.httpURL]
            }))
            print("  download token valid until \(reply.tokenExpiresAt?.formatted(date: .omitted, time: .standard) ?? "-"):")
            print("  \(reply.downloadToken ?? "-")")
        }
        if !reply.onDemandDistribution.isEmpty {
            print("  the site distributes it on demand to \(reply.onDemandDistribution.joined(separator: ", "))")
        }
    }
}
