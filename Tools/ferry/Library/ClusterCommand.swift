import ArgumentParser
import Foundation
import ServiceKit

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Run a whole site on this machine (loopback, one process per service).",
        subcommands: [Up.self, Status.self, Down.self])

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the local cluster (creating it on first use); returns once every service is healthy.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Seconds to wait for the services to become healthy.") var timeout: Double = 90
        @Flag(help: "When creating the cluster: every service journals each bus envelope to DIR/NODE/journal.jsonl (for ferry replay).")
        var journal = false
        @Option(help: ArgumentHelp("When creating the cluster: run it in the namespaces of deploy/testbed/up.sh, as SUBNETS:AGENTS (e.g. 2:4).",
                                   valueName: "subnets:agents"))
        var testbed: String?
        @Option(help: ArgumentHelp("When creating the cluster: the agents' peer caches (with --testbed on by default, off only to measure what they save; on loopback off by default, since every agent there shares one host).",
                                   valueName: "on|off"))
        var peerCaching: OnOff?
        @Option(help: ArgumentHelp("With --testbed: the agents' fixed multicast rate in Mbit/s.", valueName: "mbit"))
        var multicastRate: Double = 300
        @Option(name: .customLong("source-root"),
                help: ArgumentHelp("When creating the cluster: a folder content may be imported from (repeatable; default: the system temporary folder and your home folder).",
                                   valueName: "dir"))
        var sourceRoots: [String] = []

        /// The --source-root folders as absolute paths, links resolved.
        var resolvedSourceRoots: [String] {
            sourceRoots.map { root in
                let url = root.hasPrefix("/") ? URL(fileURLWithPath: root)
                    : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(root)
                return url.resolvingSymlinksInPath().standardizedFileURL.path
            }
        }

        var testbedShape: ClusterManager.Testbed? {
            guard let testbed else { return nil }
            let parts = testbed.split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2, (1...50).contains(parts[0]), (1...200).contains(parts[1]) else { return nil }
            return ClusterManager.Testbed(subnets: parts[0], agentsPerSubnet: parts[1], peerCaching: (peerCaching ?? .on) == .on,
                                          multicastRateMegabits: multicastRate)
        }

        func validate() throws {
            if testbed != nil, testbedShape == nil { throw ValidationError("--testbed takes SUBNETS:AGENTS, 1-50 subnets of 1-200 agents; got '\(testbed ?? "")'") }
            guard multicastRate.isFinite, multicastRate >= 1, multicastRate <= 10_000 else {
                throw ValidationError("--multicast-rate must be between 1 and 10000 Mbit/s")
            }
            guard timeout.isFinite, timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
            for (given, root) in zip(sourceRoots, resolvedSourceRoots) {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw ValidationError("--source-root '\(given)' is not an existing folder")
                }
            }
        }

        func run() async throws {
            let layout = try global.layout()
            var manager = ClusterManager(layout: layout, journal: journal, testbed: testbedShape, log: { message in if !global.json { print(message) } })
            manager.peerCachingOnLoopback = peerCaching == .on
            if !sourceRoots.isEmpty {
                manager.sourceRoots = resolvedSourceRoots
                if layout.exists, !global.json {
                    print("note: --source-root applies when a cluster is created; this one keeps the sourceRoots in \(layout.configFile(of: "site").path)")
                }
            }
            let result = try await manager.up(timeout: timeout)
            try? FileManager.default.createDirectory(at: GlobalOptions.currentClusterFile.deletingLastPathComponent(),
                                                     withIntermediateDirectories: true)
            try? Data(layout.root.path.utf8).write(to: GlobalOptions.currentClusterFile)
            let states = try await manager.status()
            if global.json {
                try Formatting.printJSON(states)
                return
            }
            switch result {
            case .alreadyRunning:
                print("the cluster in \(layout.root.path) is already running; nothing changed")
            case .started(let nodes):
                print("started \(nodes.joined(separator: ", ")); all services healthy")
            }
            print(ClusterCommand.render(states))
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each service of the local cluster: process, health, endpoints.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let states = try await ClusterManager(layout: try global.layout()).status()
            if global.json {
                try Formatting.printJSON(states)
            } else {
                print(ClusterCommand.render(states))
            }
            if states.contains(where: { !$0.healthy }) { throw ExitCode(3) }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop every service of the local cluster (SIGTERM, then SIGKILL).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Seconds each service gets to stop cleanly.") var grace: Double = 15

        func validate() throws {
            guard grace.isFinite, grace >= 0, grace <= 3600 else { throw ValidationError("--grace must be between 0 and 3600 seconds") }
        }

        func run() async throws {
            let layout = try global.layout()
            let stopped = try ClusterManager(layout: layout).down(grace: grace)
            if global.json {
                try Formatting.printJSON(["stopped": stopped])
            } else {
                print(stopped.isEmpty ? "the cluster in \(layout.root.path) was not running"
                                      : "stopped \(stopped.joined(separator: ", "))")
            }
        }
    }

    static func render(_ states: [ClusterManager.ServiceState]) -> String {
        Formatting.table(
            ["NODE", "SERVICE", "PID", "STATE", "BUS", "HTTP", "LOG"],
            states.map { state in
                [state.node, state.service, state.processID.map(String.init) ?? "-",
                 state.healthy ? "healthy" : (state.running ? "running (not answering)" : "stopped"),
                 state.busEndpoint, state.httpURL, state.logFile]
            })
    }
}
