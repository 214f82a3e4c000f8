public import ArgumentParser

/// `ferry`: the administrator's command line for a Ferry site.
public struct FerryCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Administer a Ferry content distribution site.",
        subcommands: [
            ClusterCommand.self, ContentCommand.self, DistributionPointCommand.self,
            DistributionPointGroupCommand.self, DistributeCommand.self, RedistributeCommand.self, StatusCommand.self,
            BoundaryGroupCommand.self, LocateCommand.self, DeployCommand.self, DeploymentCommand.self, AgentCommand.self, CollectionCommand.self,
            SchemaCommand.self, ReplayCommand.self, KeysCommand.self, LibraryCommand.self,
        ])

    public init() {}
}

import Foundation

extension FerryCommand {
    /// Runs the CLI: errors are one line on stderr (`ferry: …`) and a non-zero exit, without
    /// the usage text ArgumentParser would append; `--help` still prints help.
    public static func runMain(arguments: [String]? = nil) async -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch {
            let code = exitCode(for: error)
            let message = self.message(for: error)
            if code == .success || message.isEmpty || error is CleanExit {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data("ferry: \(message)\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }
}
