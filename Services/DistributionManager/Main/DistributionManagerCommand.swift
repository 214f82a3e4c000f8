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
        let service = try await DistributionManager.build(configuration: try options.configurationFile(), clock: SystemClock(),
                                                          journal: options.journal, insecureBus: options.insecureBus)
        try await ServiceHost.runUntilTerminated(service, logger: service.host.logger)
    }
}
