import ArgumentParser
import Foundation
import ServiceKit

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The local cluster's folder (default: FERRY_DATA, else the last 'cluster up').")
    var data: String?

    @Flag(name: .long, help: "Print machine-readable JSON.")
    var json = false

    /// The cluster folder: --data, FERRY_DATA, or the one the last `cluster up` recorded.
    func layout() throws -> ClusterLayout {
        if let data { return ClusterLayout(root: URL(fileURLWithPath: data, isDirectory: true)) }
        if let environment = ProcessInfo.processInfo.environment["FERRY_DATA"], !environment.isEmpty {
            return ClusterLayout(root: URL(fileURLWithPath: environment, isDirectory: true))
        }
        if let remembered = try? String(contentsOf: Self.currentClusterFile, encoding: .utf8) {
            let path = remembered.trimmingCharacters(in: .whitespacesAndNewlines)
            if !path.isEmpty { return ClusterLayout(root: URL(fileURLWithPath: path, isDirectory: true)) }
        }
        throw ConfigurationError("no cluster given: pass --data DIR, set FERRY_DATA, or run 'ferry cluster up --data DIR'")
    }

    static var currentClusterFile: URL {
        let home = ProcessInfo.processInfo.environment["FERRY_HOME"]
            ?? (ProcessInfo.processInfo.environment["HOME"] ?? NSTemporaryDirectory()) + "/.ferry"
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent("current-cluster")
    }

    func connection() throws -> SiteConnection {
        try SiteConnection(layout: layout())
    }
}
