import ArgumentParser
import Foundation
import PullDP
import ServiceKit

@main
struct PullDPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull-dp",
        abstract: "Ferry's distribution point: stores content and serves it to clients over HTTP.",
        subcommands: [Serve.self, ImportPrestaged.self],
        defaultSubcommand: Serve.self)

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the DP (the default).")

        @OptionGroup var options: ServiceOptions

        func run() async throws {
            let service = try await PullDP.build(configuration: try options.configurationFile(), clock: SystemClock(),
                                                  journal: options.journal, insecureBus: options.insecureBus)
            try await ServiceHost.runUntilTerminated(service, logger: service.host.logger)
        }
    }

    struct ImportPrestaged: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-prestaged",
            abstract: "Import a prestaged content file into this DP's library, on the DP's host (SPEC C9).",
            discussion: "Works with the DP running or stopped. Every chunk and the version are verified; a truncated or changed file is refused and nothing of it is kept. The site records the version when its PTM next asks the DP.")

        @OptionGroup var options: ServiceOptions
        @Argument(help: "The prestaged file (from 'ferry content export').") var file: String

        func run() async throws {
            let url = URL(fileURLWithPath: file)
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int64) ?? 0
            var shown: Int64 = 0
            let summary = try await PullDP.importPrestaged(configuration: try options.configurationFile(), file: url, clock: SystemClock()) { read in
                guard read - shown >= 256 << 20 || read == size else { return }
                shown = read
                print("read \(read >> 20) of \(size >> 20) MiB")
            }
            print("imported \(summary.content) version \(summary.version) (\(summary.versionID.prefix(12))): "
                  + "\(summary.storedChunks) chunks stored, \(summary.presentChunks) already held, \(summary.storedBytes) bytes")
        }
    }
}
