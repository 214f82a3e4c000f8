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
        try await PullDP.run(configuration: try options.configurationFile(), journal: options.journal, insecureBus: options.insecureBus)
    }
}
