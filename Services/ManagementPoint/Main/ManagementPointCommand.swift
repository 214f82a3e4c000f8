import ArgumentParser
import ManagementPoint
import ServiceKit

@main
struct ManagementPointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "management-point",
        abstract: "Ferry's management point: where clients learn where content is.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let service = try await ManagementPoint.build(configuration: try options.configurationFile(), clock: SystemClock(),
                                                       journal: options.journal, insecureBus: options.insecureBus)
        try await ServiceHost.runUntilTerminated(service, logger: service.host.logger)
    }
}
