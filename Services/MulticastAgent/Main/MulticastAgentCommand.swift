import ArgumentParser
import MulticastAgent
import ServiceKit

@main
struct MulticastAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "multicast-agent",
        abstract: "Ferry's endpoint agent: fetches deployed content from the nearest DP and installs it.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let service = try await MulticastAgent.build(configuration: try options.configurationFile(), clock: SystemClock(),
                                                      journal: options.journal, insecureBus: options.insecureBus)
        try await ServiceHost.runUntilTerminated(service, logger: service.host.logger)
    }
}
