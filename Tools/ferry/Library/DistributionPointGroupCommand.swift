import ArgumentParser
import Foundation
import Messages

struct DistributionPointGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dp-group", abstract: "DP groups: DPs managed together (SPEC C4).",
        discussion: "Content distributed to a group reaches every DP in it, also DPs added later.",
        subcommands: [Create.self, Add.self, Remove.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a DP group, optionally with DPs.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The group's name.") var name: String
        @Option(name: .customLong("dp"), help: "A distribution point (repeatable).") var distributionPoints: [String] = []

        func run() async throws {
            let reply = try await global.connection().request(CreateDistributionPointGroup(name: name, distributionPoints: distributionPoints))
            try DistributionPointGroupCommand.show(reply, json: global.json)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a DP to a group; it receives every content of the group.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The group.") var group: String
        @Argument(help: "The distribution point.") var distributionPoint: String

        func run() async throws {
            let reply = try await global.connection().request(AddDistributionPointGroupMember(group: group, distributionPoint: distributionPoint))
            try DistributionPointGroupCommand.show(reply, json: global.json)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a DP from a group; what it holds stays.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The group.") var group: String
        @Argument(help: "The distribution point.") var distributionPoint: String

        func run() async throws {
            let reply = try await global.connection().request(RemoveDistributionPointGroupMember(group: group, distributionPoint: distributionPoint))
            try DistributionPointGroupCommand.show(reply, json: global.json)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List DP groups with their DPs, contents and collections.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let reply = try await global.connection().request(ListDistributionPointGroups())
            try DistributionPointGroupCommand.show(reply, json: global.json)
        }
    }

    static func show(_ reply: DistributionPointGroupsReply, json: Bool) throws {
        if json { return try Formatting.printJSON(reply) }
        print(Formatting.table(["GROUP", "DPS", "CONTENTS", "COLLECTIONS"], reply.groups.map {
            [$0.name, $0.distributionPoints.isEmpty ? "-" : $0.distributionPoints.joined(separator: ", "),
             $0.contents.isEmpty ? "-" : $0.contents.joined(separator: ", "),
             $0.collections.isEmpty ? "-" : $0.collections.joined(separator: ", ")]
        }))
        for item in reply.queued { print("queued: \(item)") }
    }
}
