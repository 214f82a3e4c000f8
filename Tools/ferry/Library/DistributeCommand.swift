import ArgumentParser
import Bus
import Foundation
import Messages

/// The targets `distribute` and `redistribute` share.
struct DistributionTargets: ParsableArguments {
    @Option(name: .customLong("dp"), help: "A distribution point (repeatable).") var distributionPoints: [String] = []
    @Option(name: .customLong("dp-group"), help: "A DP group: its DPs now and those added later (repeatable).") var groups: [String] = []
    @Option(help: "A collection: the DP groups associated with it (repeatable).") var collection: [String] = []

    func validate() throws {
        if distributionPoints.isEmpty && groups.isEmpty && collection.isEmpty {
            throw ValidationError("name at least one target: --dp DP, --dp-group GROUP or --collection COLLECTION")
        }
    }

    func request(_ name: String, redistribute: Bool) -> Distribute {
        Distribute(name: name, distributionPoints: distributionPoints, redistribute: redistribute,
                   distributionPointGroups: groups, collections: collection)
    }
}

struct DistributeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distribute", abstract: "Send a content's current version to DPs, DP groups or collections.",
        discussion: "DPs that already hold the version or are receiving it are left alone; a DP reached several ways receives it once.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The content's name.") var name: String
    @OptionGroup var targets: DistributionTargets

    func run() async throws {
        let reply = try await global.connection().request(targets.request(name, redistribute: false))
        try Self.show(reply, json: global.json)
    }

    static func show(_ reply: DistributeAccepted, json: Bool) throws {
        if json { return try Formatting.printJSON(reply) }
        print("\(reply.name) version \(reply.version) (\(reply.versionID.prefix(16))…)")
        if !reply.queued.isEmpty { print("  queued for: \(reply.queued.joined(separator: ", "))") }
        if !reply.alreadyInstalled.isEmpty { print("  already installed on: \(reply.alreadyInstalled.joined(separator: ", "))") }
        if !reply.alreadyInProgress.isEmpty { print("  already on its way to: \(reply.alreadyInProgress.joined(separator: ", "))") }
        print("follow it with: ferry status \(reply.name) --wait")
    }
}

struct RedistributeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redistribute", abstract: "Copy a content's current version again, every chunk, even where a DP has it (SPEC C5).",
        discussion: "The DP verifies every chunk and the whole version again; use it after a DP's store was damaged or restored.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The content's name.") var name: String
    @OptionGroup var targets: DistributionTargets

    func run() async throws {
        let reply = try await global.connection().request(targets.request(name, redistribute: true))
        try DistributeCommand.show(reply, json: global.json)
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Per-DP state of a content's current version.",
        discussion: "With --wait: exits 0 once every target DP installed the current version, 1 when one failed, 2 on timeout.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The content's name.") var name: String
    @Flag(help: "Follow progress until every target has the current version.") var wait = false
    @Option(help: "With --wait: give up after this many seconds.") var timeout: Double = 3600

    func validate() throws {
        guard timeout.isFinite, timeout > 0, timeout <= 30 * 24 * 3600 else {
            throw ValidationError("--timeout must be a number of seconds between 0 and 2592000")
        }
    }

    func run() async throws {
        let connection = try global.connection()
        let deadline = Date().addingTimeInterval(timeout)
        var lastPrinted = ""
        while true {
            let reply: DistributionStatusReply
            do {
                reply = try await connection.request(DistributionStatusQuery(name: name),
                                                     timeout: .seconds(10))
            } catch let error as BusError where wait && error.remoteCode == nil && Date() < deadline {
                // The site may be restarting: keep waiting until the deadline.
                FileHandle.standardError.write(Data("ferry: \(error); retrying\n".utf8))
                try await Task.sleep(for: .seconds(1))
                continue
            }
            let current = reply.targets.filter { $0.versionID == reply.versionID }
            let failed = current.filter { $0.state == .failed }
            let done = !reply.targets.isEmpty && reply.targets.allSatisfy { $0.versionID == reply.versionID && $0.state == .installed }
            if wait && current.isEmpty {
                FileHandle.standardError.write(Data("ferry: \(name) version \(reply.version) is not being distributed to any DP; run 'ferry distribute \(name) --dp DP' (or --dp-group, --collection)\n".utf8))
                throw ExitCode(1)
            }
            if !wait || done || !failed.isEmpty || Date() > deadline {
                if global.json {
                    try Formatting.printJSON(reply)
                } else {
                    print(render(reply))
                }
                guard wait else { return }
                if done { return }
                if !failed.isEmpty {
                    FileHandle.standardError.write(Data("ferry: distribution failed on \(failed.map(\.distributionPoint).joined(separator: ", "))\n".utf8))
                    throw ExitCode(1)
                }
                FileHandle.standardError.write(Data("ferry: timed out after \(Int(timeout)) s waiting for \(name) version \(reply.version)\n".utf8))
                throw ExitCode(2)
            }
            if !global.json {
                let text = render(reply)
                if text != lastPrinted {
                    print(text)
                    print("")
                    lastPrinted = text
                }
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    private func render(_ reply: DistributionStatusReply) -> String {
        let header = "\(reply.name) version \(reply.version) (\(reply.versionID.prefix(16))…)"
        guard !reply.targets.isEmpty else { return header + "\n  not distributed to any DP yet" }
        return header + "\n" + Formatting.table(["DP", "VERSION", "STATE", "ATTEMPTS", "UPDATED", "WHY"], reply.targets.map {
            [$0.distributionPoint, $0.versionID == reply.versionID ? "\($0.version)" : "\($0.version) (old)",
             Formatting.targetState($0) + ($0.state == .inProgress || $0.state == .waiting ? ($0.reason.map { " — \($0)" } ?? "") : ""),
             "\($0.attempts)", $0.updatedAt.formatted(date: .omitted, time: .standard), $0.origin ?? "-"]
        })
    }
}

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema", abstract: "Print every bus message type with its version and fields.")
    @Flag(help: "Print machine-readable JSON.") var json = false

    func run() throws {
        let entries = MessageCatalog.standard.schema()
        if json { return try Formatting.printJSON(entries) }
        for entry in entries {
            print("\(entry.wireName) v\(entry.version): \(entry.summary)")
            for field in entry.fields { print("    \(field.name): \(field.type)") }
            for nested in entry.nestedTypes {
                print("    \(nested.name):")
                for field in nested.fields { print("        \(field.name): \(field.type)") }
            }
            print("    example: \(entry.example)")
        }
    }
}
