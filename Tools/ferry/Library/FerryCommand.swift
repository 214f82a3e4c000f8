public import ArgumentParser

/// `ferry`: the administrator's command line for a Ferry site.
public struct FerryCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Administer a Ferry content distribution site.",
        subcommands: [
            ClusterCommand.self, ContentCommand.self, DistributionPointCommand.self,
            DistributeCommand.self, StatusCommand.self, SchemaCommand.self,
        ])

    public init() {}
}
