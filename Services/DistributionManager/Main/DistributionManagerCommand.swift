import ArgumentParser
import DistributionManager
import ServiceKit

@main
struct DistributionManagerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distribution-manager",
        abstract: "Ferry's distribution manager: contents, versions, DPs and distribution state of a site.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await DistributionManager.run(configuration: try options.configurationFile(), journal: options.journal, insecureBus: options.insecureBus)
    }
}
