import Foundation
import HTTPTransfer
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The subset of `ferry dp show --json` the pull tests read.
struct PullDetailJSON: Decodable {
    struct Source: Decodable, Equatable {
        var name: String
        var rank: Int
    }
    struct Usage: Decodable {
        var uniqueClients: Int
    }
    struct Point: Decodable {
        var name: String
        var pullSources: [Source]?
        var rateLimit: String?
        var usage: Usage?
    }
    var point: Point
}

extension ClusterTests {
    @Test("Issue 17 (P2, P3, P5, P6, T5): a standard DP, a pull DP, a chained pull DP and one whose first source lacks the content; each byte-identical, the site sends once; refusals; --no-pull")
    func pullDistributionPoints() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("app")
        try SourceFolder.make(at: source, files: [("setup.bin", 1_500_000), ("data.bin", 700_000)])
        try cluster.up()
        let extra = ExtraDistributionPoints(cluster: cluster)
        defer { extra.stop() }
        for name in ["dp3", "dp4", "dp5"] { try await extra.start(name) }

        // dp1 standard; dp2 pulls from dp1; dp3 from dp2 (a chain); dp5 from dp4 first, which never gets it, then dp1.
        try cluster.ok(["dp", "set", "dp2", "--pull", "--source", "dp1:1"])
        try cluster.ok(["dp", "set", "dp3", "--pull", "--source", "dp2"])
        let dp5 = try cluster.json(PullDetailJSON.self, ["dp", "set", "dp5", "--pull", "--source", "dp4:1", "--source", "dp1:2"])
        #expect(dp5.point.pullSources == [.init(name: "dp4", rank: 1), .init(name: "dp1", rank: 2)])
        #expect(try cluster.ok(["dp", "list"]).contains("pull from dp4:1, dp1:2"))

        try cluster.ok(["content", "create", "--name", "app", "--source", source.path])
        try cluster.ok(["distribute", "app", "--dp", "dp1", "--dp", "dp2", "--dp", "dp3", "--dp", "dp5"])
        let wait = try cluster.ferry(["status", "app", "--wait", "--timeout", "120"])
        #expect(wait.status == 0, "\(wait.output)\(wait.error)")
        let status = try cluster.json(StatusJSON.self, ["status", "app"])
        #expect(status.targets.map(\.state) == ["installed", "installed", "installed", "installed"], "\(status.targets)")
        #expect(status.targets.first { $0.distributionPoint == "dp3" }?.reason?.contains("pull DP, from dp2: installed from dp2") == true)
        #expect(status.targets.first { $0.distributionPoint == "dp5" }?.reason?.contains("from dp1") == true)

        // Byte-identical: each pull DP holds exactly dp1's chunks, and the site pushed only to dp1.
        let expected = try cluster.storedChunks("dp1")
        #expect(!expected.isEmpty)
        for node in ["dp2", "dp3", "dp5"] {
            #expect(try extra.storedChunks(node, in: cluster) == expected, "\(node)")
            #expect(try await extra.metric(node, "ferry_dp_received_chunk_bytes_total", in: cluster) == 0, "\(node) was pushed to")
        }
        #expect(try await cluster.metric("dp1", "ferry_dp_received_chunk_bytes_total") == 2_200_000)
        #expect(try await extra.metric("dp4", "ferry_dp_received_chunk_bytes_total", in: cluster) == 0)
        // Its log says dp5 skipped dp4 for lacking the version (SPEC P3's pulldp.log).
        let log = try String(contentsOf: cluster.data.appendingPathComponent("dp5/pulldp.log"), encoding: .utf8)
        #expect(log.contains("source skipped: it lacks the version") && log.contains("source=dp4"))
        #expect(log.contains("version verified; pull done"))
        // Sources count their pull DPs as clients (SPEC P6).
        #expect(try cluster.json(PullDetailJSON.self, ["dp", "show", "dp1"]).point.usage?.uniqueClients == 2)
        #expect(try cluster.json(PullDetailJSON.self, ["dp", "show", "dp2"]).point.usage?.uniqueClients == 1)

        // Refused with the reason, nothing changed.
        for (arguments, reason) in [(["dp1", "--pull", "--source", "dp3"], "chain that loops: dp1 → dp3 → dp2 → dp1"),
                                    (["dp4", "--pull", "--source", "dp9"], "no distribution point named 'dp9'"),
                                    (["dp4", "--pull"], "--pull needs at least one --source"),
                                    (["dp4", "--prestaged", "maybe"], "The value 'maybe' is invalid for '--prestaged <on|off>'")] {
            let refused = try cluster.ferry(["dp", "set"] + arguments)
            #expect(refused.status != 0 && refused.error.contains(reason), "\(arguments): \(refused.error)")
        }
        try cluster.ok(["dp", "set", "dp4", "--on-site-server", "true"])
        let onSite = try cluster.ferry(["dp", "set", "dp4", "--pull", "--source", "dp1"])
        #expect(onSite.status != 0 && onSite.error.contains("on the site server"), "\(onSite.error)")
        #expect(try cluster.json(PullDetailJSON.self, ["dp", "show", "dp1"]).point.pullSources ?? [] == [])

        // A standard DP again: the next version is pushed to it by the site.
        let standard = try cluster.json(PullDetailJSON.self, ["dp", "set", "dp5", "--no-pull"])
        #expect(standard.point.pullSources ?? [] == [])
        try SourceFolder.make(at: source, files: [("setup.bin", 1_500_000), ("data.bin", 700_000), ("patch.bin", 300_000)])
        try cluster.ok(["content", "update", "app"])
        #expect(try cluster.ferry(["status", "app", "--wait", "--timeout", "120"]).status == 0)
        #expect(try await extra.metric("dp5", "ferry_dp_received_chunk_bytes_total", in: cluster) == 300_000)
    }

    @Test("Issue 17 (P3, T5): kill -9 of a pull DP mid-download resumes without fetching a verified chunk again; kill -9 of the PTM between notify and status still completes, once")
    func pullDistributionPointCrashes() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let big = cluster.root.appendingPathComponent("big")
        let size = 160 * 1024 * 1024
        try SourceFolder.make(at: big, files: [("disk.img", size)], seed: 5)
        try cluster.up()
        try cluster.ok(["content", "create", "--name", "big", "--source", big.path])
        try cluster.ok(["distribute", "big", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "big", "--wait", "--timeout", "300"]).status == 0)
        let chunks = try cluster.storedChunks("dp1").count
        try cluster.ok(["dp", "set", "dp2", "--pull", "--source", "dp1:1"])
        try cluster.ok(["distribute", "big", "--dp", "dp2"])

        // Killed once it holds part of the version, then started again.
        var killedAt = 0
        for _ in 0..<3000 {
            let held = try cluster.storedChunks("dp2").count
            if held > chunks / 10 {
                try cluster.kill9("dp2")
                killedAt = try cluster.storedChunks("dp2").count
                break
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(killedAt > 0 && killedAt < chunks, "killed at \(killedAt) of \(chunks) chunks")
        try cluster.up()
        let resumed = try cluster.ferry(["status", "big", "--wait", "--timeout", "300"])
        #expect(resumed.status == 0, "\(resumed.output)\(resumed.error)")
        #expect(try cluster.storedChunks("dp2") == cluster.storedChunks("dp1"))
        // Every verified chunk was kept: dp1 served the version once, plus at most the
        // requests in flight at the kill (4, at most 256 KiB each).
        let served = try await cluster.metric("dp1", "ferry_dp_served_chunk_bytes_total")
        #expect(served >= Double(size) && served <= Double(size + 4 * 256 * 1024), "served \(served) of \(size)")

        // The PTM killed right after it notified: the pull DP's status reaches the site through
        // the MP meanwhile, and the PTM, started again, ends its job without a second report.
        let second = cluster.root.appendingPathComponent("second")
        try SourceFolder.make(at: second, files: [("disk.img", 60 * 1024 * 1024)], seed: 6)
        try cluster.ok(["content", "create", "--name", "second", "--source", second.path])
        try cluster.ok(["distribute", "second", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "second", "--wait", "--timeout", "300"]).status == 0)
        try cluster.ok(["distribute", "second", "--dp", "dp2"])
        let ptmLog = cluster.data.appendingPathComponent("ptm/pkgxfermgr.log")
        var notified = false
        for _ in 0..<2000 {
            let text = (try? String(contentsOf: ptmLog, encoding: .utf8)) ?? ""
            if text.split(separator: "\n").contains(where: { $0.contains("notified the pull DP") && $0.contains("content=second") }) {
                try cluster.kill9("ptm")
                notified = true
                break
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(notified)
        #expect(try cluster.ferry(["status", "second", "--wait", "--timeout", "300"]).status == 0, "installed with the PTM down")
        try cluster.up()
        let database = cluster.data.appendingPathComponent("ptm/pkgxfermgr.sqlite").path
        var phase = ""
        for _ in 0..<600 {
            phase = try sqlite(database, "SELECT phase FROM pullJob WHERE contentName = 'second'")
            if phase == "installed" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(phase == "installed")
        let siteLog = try String(contentsOf: cluster.data.appendingPathComponent("site/distmgr.log"), encoding: .utf8).split(separator: "\n")
        let ends = siteLog.filter { $0.contains("pull DP status") && $0.contains("content=second") && $0.contains("state=installed") }
        #expect(ends.count == 1, "\(ends)")
        #expect(!siteLog.contains { $0.contains("distribution installed") && $0.contains("dp=dp2") })
    }

    /// One value from the sqlite3 command line tool (installed by `make deps`).
    func sqlite(_ database: String, _ query: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [database, query]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// DPs started beside a cluster as an administrator adds one: its own key, folder and
/// config (dp2's, renamed), the `pull-dp` executable, then `ferry dp add`.
final class ExtraDistributionPoints: @unchecked Sendable {
    let cluster: ClusterFixture
    private var processes: [Process] = []
    private var endpoints: [String: (bus: String, http: String)] = [:]

    init(cluster: ClusterFixture) { self.cluster = cluster }

    func start(_ name: String) async throws {
        let folder = cluster.data.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let key = cluster.data.appendingPathComponent("keys/\(name).key")
        let generated = try cluster.ferry(["keys", "generate", "--out", key.path], withData: false)
        guard generated.status == 0 else { throw FixtureError("keys generate: \(generated.error)") }
        var text = try String(contentsOf: cluster.data.appendingPathComponent("dp2/config.yaml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "/dp2/", with: "/\(name)/").replacingOccurrences(of: "/dp2\n", with: "/\(name)\n")
            .replacingOccurrences(of: "node: dp2\n", with: "node: \(name)\n").replacingOccurrences(of: "keys/dp2.key", with: "keys/\(name).key")
        text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            if line.hasPrefix("  bind: ") { return "  bind: tcp://127.0.0.1:0" }
            if line.hasPrefix("  port: ") { return "  port: 0" }
            return String(line)
        }.joined(separator: "\n")
        let config = folder.appendingPathComponent("config.yaml")
        try text.write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = cluster.binaries.appendingPathComponent("pull-dp")
        process.arguments = ["--config", config.path]
        let output = folder.appendingPathComponent("stdout.log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = process.standardOutput
        try process.run()
        processes.append(process)
        let endpointsFile = folder.appendingPathComponent("endpoints.json")
        var bound: (bus: String, http: String)?
        for _ in 0..<400 {
            if let data = try? Data(contentsOf: endpointsFile),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let bus = object["busEndpoint"] as? String, let http = object["httpURL"] as? String {
                bound = (bus, http)
                break
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        guard let bound else { throw FixtureError("\(name) did not start: \((try? String(contentsOf: output, encoding: .utf8)) ?? "")") }
        endpoints[name] = bound
        try cluster.ok(["dp", "add", name, "--bus", bound.bus, "--http", bound.http, "--public-key-file", key.path + ".pub"])
    }

    func storedChunks(_ name: String, in cluster: ClusterFixture) throws -> [String: Int] { try cluster.storedChunks(name) }

    /// A counter from an extra DP's /metrics (or a cluster DP's).
    func metric(_ name: String, _ metric: String, in cluster: ClusterFixture) async throws -> Double {
        guard let http = endpoints[name]?.http else { return try await cluster.metric(name, metric) }
        let response = try await HTTPClient.shared.get(http + "/metrics")
        for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n") where line.hasPrefix(metric + " ") {
            return Double(line.split(separator: " ").last ?? "0") ?? 0
        }
        return 0
    }

    func stop() {
        for process in processes where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
