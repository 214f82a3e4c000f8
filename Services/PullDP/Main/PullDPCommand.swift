import ArgumentParser
import PullDP
import ServiceKit

@main
struct PullDPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull-dp",
        abstract: "Ferry's distribution point: stores content and serves it to clients over HTTP.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let service = try await PullDP.build(configuration: try options.configurationFile(), clock: SystemClock(),
                                              journal: options.journal, insecureBus: options.insecureBus)
        try await ServiceHost.runUntilTerminated(service, logger: service.host.logger)
    }
}
