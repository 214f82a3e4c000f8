import ContentStore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The network-namespace test bed of `deploy/testbed/up.sh`, with a site in it, driven
/// through the real `ferry`. Only one can exist at a time (fixed namespace names), so
/// its tests are serialized; `down.sh` runs at the end even after a failure.
final class TestbedFixture: @unchecked Sendable {
    let cluster: ClusterFixture
    let scripts: URL
    static let contentSize = 20_000_000

    /// Whether this machine can build the test bed (root, `ip`, `nft`).
    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")
    }

    init(subnets: Int = 2, agents: Int = 4, lanLossPermille: Int = 0) throws {
        cluster = try ClusterFixture()
        scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/testbed", isDirectory: true)
        // A test killed earlier may have left one behind.
        _ = try? run("down.sh")
        let result = try run("up.sh", ["\(subnets)", "\(agents)"], environment: ["LAN_LOSS_PERMILLE": "\(lanLossPermille)"])
        guard result.status == 0 else {
            tearDown()
            throw FixtureError("up.sh failed:\n\(result.output)")
        }
    }

    func tearDown() {
        _ = try? run("down.sh")
        try? FileManager.default.removeItem(at: cluster.root)
    }

    @discardableResult
    func run(_ script: String, _ arguments: [String] = [], environment extra: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = scripts.appendingPathComponent(script)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["FERRY_BIN_DIR"] = cluster.binaries.path
        environment["TESTBED_DATA"] = cluster.data.path
        environment.merge(extra) { $1 }
        process.environment = environment
        let outputURL = cluster.root.appendingPathComponent("script-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let handle = try FileHandle(forWritingTo: outputURL)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try? handle.close()
        return (process.terminationStatus, String(decoding: (try? Data(contentsOf: outputURL)) ?? Data(), as: UTF8.self))
    }

    /// IP bytes into each subnet over its WAN link so far.
    func wanBytesIn() throws -> [Int: Int64] {
        let result = try run("wan-bytes.sh")
        var bytes: [Int: Int64] = [:]
        for line in result.output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 6, let subnet = Int(fields[1]), let count = Int64(fields[3]) { bytes[subnet] = count }
        }
        return bytes
    }

    /// Imports a 20 MB content, puts it on dp1 (in every client's boundary group); returns its version id.
    func prepareContent(name: String = "image") throws -> String {
        let source = cluster.root.appendingPathComponent("source-\(name)")
        try SourceFolder.make(at: source, files: [("image.bin", Self.contentSize)], seed: 7)
        try cluster.ok(["content", "create", "--name", name, "--source", source.path])
        try cluster.ok(["boundary-group", "create", "everyone", "--subnet", "10.77.0.0/16"])
        try cluster.ok(["boundary-group", "add-dp", "everyone", "dp1"])
        try cluster.ok(["distribute", name, "--dp", "dp1"])
        let status = try cluster.ferry(["status", name, "--wait", "--timeout", "120"])
        guard status.status == 0 else { throw FixtureError("distribution failed: \(status.output) \(status.error)") }
        return try cluster.json(DeploymentTestbedJSON.ContentJSON.self, ["content", "show", name]).versions.last?.versionID ?? ""
    }

    func agents(subnets: Int = 2, agents: Int = 4) -> [String] {
        (1...subnets).flatMap { subnet in (1...agents).map { "s\(subnet)a\($0)" } }
    }

    /// SHA-256 of the installed image in the agent's cache.
    func installedHash(_ agent: String, versionID: String, content: String = "image") throws -> String {
        let file = cluster.data.appendingPathComponent("\(agent)/cache/\(content)/\(versionID)/image.bin")
        return ContentHash.sha256Hex(try Data(contentsOf: file))
    }

    func status(_ content: String = "image") throws -> DeploymentTestbedJSON {
        try cluster.json(DeploymentTestbedJSON.self, ["deployment", "status", content])
    }

    /// Waits until `condition` holds for the deployment status, or the timeout.
    func waitFor(_ content: String = "image", timeout: Double = 60, _ condition: (DeploymentTestbedJSON) -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = try? status(content), condition(status) { return true }
            usleep(200_000)
        }
        return false
    }

    /// The scheduling policies of a node's threads (field 41 of /proc/PID/task/TID/stat).
    func schedulingPolicies(_ node: String) throws -> Set<Int> {
        guard let pid = cluster.pid(node) else { throw FixtureError("no pid for \(node)") }
        var policies = Set<Int>()
        for thread in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/stat", encoding: .utf8),
                  let end = stat.lastIndex(of: ")") else { continue }
            // Fields after the command name start at field 3 (state).
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            if fields.count > 38, let policy = Int(fields[38]) { policies.insert(policy) }
        }
        return policies
    }

    func log(_ node: String) -> String {
        (try? String(contentsOf: cluster.data.appendingPathComponent("\(node)/agent.log"), encoding: .utf8)) ?? ""
    }
}

/// What the test bed tests read from `ferry deployment status --json` and `content show --json`.
struct DeploymentTestbedJSON: Decodable {
    struct Agent: Decodable {
        var agent: String
        var state: String
        var bytesDone: Int64
        var bytesTotal: Int64
        var source: String?
        var representative: Bool?
        var bytesFromMulticast: Int64?
        var bytesFromPeers: Int64?
        var bytesFromDistributionPoint: Int64?
        var detail: String?

        var received: Int64 { (bytesFromMulticast ?? 0) + (bytesFromPeers ?? 0) + (bytesFromDistributionPoint ?? 0) }
    }
    var agents: [Agent]

    func agent(_ name: String) -> Agent? { agents.first { $0.agent == name } }

    struct ContentJSON: Decodable {
        struct Version: Decodable { var versionID: String }
        var versions: [Version]
    }
}
