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
        let service = try await PackageTransferManager.build(configuration: try options.configurationFile(), clock: SystemClock(),
                                                              journal: options.journal, insecureBus: options.insecureBus)
        try await ServiceHost.runUntilTerminated(service, logger: service.host.logger)
    }
}
