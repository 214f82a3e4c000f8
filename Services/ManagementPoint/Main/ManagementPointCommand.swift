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
        try await ManagementPoint.run(configuration: try options.configurationFile(), journal: options.journal, insecureBus: options.insecureBus)
    }
}
