import ArgumentParser
import PackageTransferManager
import ServiceKit

@main
struct PackageTransferManagerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package-transfer-manager",
        abstract: "Ferry's package transfer manager: copies content versions onto distribution points.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await PackageTransferManager.run(configuration: try options.configurationFile(), journal: options.journal, insecureBus: options.insecureBus)
    }
}
