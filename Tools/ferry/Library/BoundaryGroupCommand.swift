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
            let reply = try await global.connection().request(CreateBoundaryGroup(name: name, ranges: ranges), expecting: BoundaryGroupsReply.self)
            try BoundaryGroupCommand.show(reply, json: global.json)
        }
    }

    struct AddDP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-dp", abstract: "Make a DP preferred for a boundary group.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The boundary group.") var name: String
        @Argument(help: "The distribution point.") var distributionPoint: String
        @Flag(help: "The link from this location to the DP is slow (default fast).") var slow = false

        func run() async throws {
            let request = AddBoundaryGroupMember(group: name, member: BoundaryGroupMember(distributionPoint: distributionPoint, slow: slow))
            let reply = try await global.connection().request(request, expecting: BoundaryGroupsReply.self)
            try BoundaryGroupCommand.show(reply, json: global.json)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List boundary groups.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let reply = try await global.connection().request(ListBoundaryGroups(), expecting: BoundaryGroupsReply.self)
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
        commandName: "locate", abstract: "The content location answer the management point gives a client at an address.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The content's name.") var name: String
    @Option(help: "The client's IPv4 address.") var address: String
    @Flag(help: "The client's deployment allows fallback DPs.") var allowFallback = false

    func run() async throws {
        let reply = try await global.connection().request(
            ContentLocationQuery(content: name, versionID: nil, clientAddress: address, allowFallback: allowFallback),
            expecting: ContentLocationReply.self)
        if global.json { return try Formatting.printJSON(reply) }
        print("\(reply.content) (\(reply.versionID.prefix(16))…) for a client at \(address):")
        if reply.distributionPoints.isEmpty {
            print("  content not available: no preferred DP of this client holds the version")
        } else {
            print(Formatting.table(["DP", "LINK", "PREFERRED", "BOUNDARY GROUPS", "URL"], reply.distributionPoints.map {
                [$0.name, $0.slow ? "slow" : "fast", $0.preferred ? "yes" : "no", $0.boundaryGroups.joined(separator: ", "), $0.httpURL]
            }))
            print("  download from \(reply.distributionPoints[0].name); token valid until \(reply.tokenExpiresAt?.formatted(date: .omitted, time: .standard) ?? "-")")
        }
    }
}
