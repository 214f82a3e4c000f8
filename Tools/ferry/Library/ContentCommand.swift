import ArgumentParser
import Foundation
import Messages

extension ContentType: ExpressibleByArgument {}
extension Priority: ExpressibleByArgument {}

struct ContentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "content", abstract: "Create, update and inspect content.",
        subcommands: [Create.self, Update.self, List.self, Show.self, Set.self, Export.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import a folder as new content; prints its id and version.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The content's name.") var name: String
        @Option(help: "The source folder (on this machine, the site server).") var source: String
        @Option(help: "application, package, software-update, driver-package, boot-image or os-image.") var type: ContentType = .package
        @Option(help: "Distribution priority: high, medium or low.") var priority: Priority = .medium

        func run() async throws {
            let request = CreateContent(name: name, type: type, priority: priority, sourcePath: absolute(source))
            let reply = try await global.connection().request(request, timeout: .seconds(6 * 3600))
            try ContentCommand.printVersion(reply, json: global.json)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import the content's folder again; a change makes a new version.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The content's name.") var name: String
        @Option(help: "A new source folder (default: the one it was created from).") var source: String?

        func run() async throws {
            let request = UpdateContent(name: name, sourcePath: source.map(absolute))
            let reply = try await global.connection().request(request, timeout: .seconds(6 * 3600))
            try ContentCommand.printVersion(reply, json: global.json)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every content object.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let reply = try await global.connection().request(ListContents())
            if global.json { return try Formatting.printJSON(reply) }
            print(Formatting.table(["NAME", "TYPE", "PRIORITY", "VERSION", "SIZE", "FILES", "VERSION ID"], reply.contents.map {
                [$0.name, $0.type.rawValue, $0.priority.rawValue, "\($0.currentVersion)", Formatting.bytes($0.totalBytes),
                 "\($0.fileCount)", String($0.currentVersionID.prefix(16))]
            }))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a content object's versions and where each is distributed.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The content's name.") var name: String

        func run() async throws {
            let reply = try await global.connection().request(ShowContent(name: name))
            if global.json { return try Formatting.printJSON(reply) }
            let content = reply.content
            print("\(content.name): \(content.type.rawValue), priority \(content.priority.rawValue), source \(content.sourcePath)"
                  + (content.distributeOnDemand == true ? ", distributed on demand to preferred DPs" : "")
                  + (content.differential == true ? ", updates sent as deltas" : ""))
            print(Formatting.table(["VERSION", "CHAIN", "VERSION ID", "SIZE", "FILES", "CHUNKS", "CREATED"], reply.versions.map {
                ["\($0.number)\($0.number == content.currentVersion ? " (current)" : "")",
                 $0.chainPosition.map { $0 == 0 ? "full" : "+\($0)" } ?? "-", $0.versionID,
                 Formatting.bytes($0.totalBytes), "\($0.fileCount)", "\($0.chunkCount)",
                 $0.createdAt.formatted(date: .abbreviated, time: .standard)]
            }))
            if !reply.targets.isEmpty {
                print("")
                print(Formatting.table(["DP", "VERSION", "STATE", "WHY"], reply.targets.map {
                    [$0.distributionPoint, "\($0.version)", Formatting.targetState($0), $0.origin ?? "-"]
                }))
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a content's properties.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The content's name.") var name: String
        @Option(help: "Distribute the content to a client's preferred DPs when it asks and none has it (true or false).")
        var distributeOnDemand: Bool?
        @Option(help: "Distribution priority: high, medium or low; queued and running transfers are re-ranked at once.")
        var priority: Priority?
        @Option(help: ArgumentHelp("Binary differential replication: updates reach DPs as deltas against the version they hold (applications always; packages off unless set; other types as the site's default).",
                                   valueName: "on|off"))
        var differential: OnOff?
        @Option(help: ArgumentHelp("What DPs enabled for prestaged content are sent: automatic (over the network as to any DP), changes-only (the first version is prestaged by hand, updates are sent) or manual (never over the network).",
                                   valueName: "automatic|changes-only|manual"))
        var prestage: PrestageMode?

        func validate() throws {
            if distributeOnDemand == nil, priority == nil, differential == nil, prestage == nil {
                throw ValidationError("nothing to change: give --priority high|medium|low, --distribute-on-demand true|false, --differential on|off or --prestage automatic|changes-only|manual")
            }
        }

        func run() async throws {
            let reply = try await global.connection().request(SetContent(name: name, distributeOnDemand: distributeOnDemand, priority: priority,
                                                                         differential: differential.map { $0 == .on }, prestage: prestage))
            if global.json { return try Formatting.printJSON(reply) }
            print("\(reply.content.name): priority \(reply.content.priority.rawValue), distribute on demand \(reply.content.distributeOnDemand == true ? "on" : "off"), differential \(reply.content.differential == true ? "on" : "off"), prestage \(reply.content.prestage?.rawValue ?? "automatic")")
        }
    }

    static func printVersion(_ reply: ContentVersionReply, json: Bool) throws {
        if json { return try Formatting.printJSON(reply) }
        let version = reply.version
        if reply.isNewVersion {
            print("\(reply.content.name) version \(version.number): \(version.versionID)")
            print("  \(version.fileCount) files, \(Formatting.bytes(version.totalBytes)), \(version.chunkCount) chunks; new in the library: \(reply.newChunks) chunks, \(Formatting.bytes(reply.newBytes))")
            if let queued = reply.queuedDistributionPoints, !queued.isEmpty {
                print("  queued to the DPs that hold it (each is sent only the chunks it lacks): \(queued.joined(separator: ", "))")
            }
        } else {
            print("\(reply.content.name) is unchanged: still version \(version.number) (\(version.versionID))")
        }
    }
}

/// Resolves a path given on the command line against the current folder.
func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path).standardizedFileURL.path
}
