public import ArgumentParser
import FerryCLI
import Foundation
import ServiceKit

/// `ferry-fuzz`: the rerunnable fuzzing campaign of issue 14 (item 7).
public struct FuzzCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ferry-fuzz",
        abstract: "Send mutated bus envelopes and HTTP requests to every service of a local cluster.",
        discussion: """
        Bus: envelopes of every message type, mutated (bytes flipped, cut, padded; fields \
        removed, retyped, extreme; wrong types, versions and senders; deep nesting), sent to \
        every service as every client it accepts. HTTP: requests to every route of every \
        service (odd methods, traversal, junk and lying headers, valid and forged tokens, \
        bad bodies, raw bytes flipped or cut short). A run passes when no service dies, every \
        answer is a readable envelope or an HTTP status, and no 5xx comes back. Same seed, \
        same cases. Without --data it starts a fresh cluster in a temporary folder and stops \
        and removes it afterwards.
        """)

    @Option(help: "A running local cluster's folder (ferry cluster up --data DIR); default: a fresh one.") var data: String?
    @Option(help: "Bus cases.") var busCases = 100_000
    @Option(help: "HTTP cases.") var httpCases = 100_000
    @Option(help: "The seed; the same seed sends the same cases.") var seed: UInt64 = 14
    @Option(help: "Where the service executables are (default: next to ferry-fuzz, or FERRY_BIN_DIR).") var binaries: String?
    @Flag(help: "Print the reports as JSON.") var json = false

    public init() {}

    public func run() async throws {
        let root: URL
        var manager: ClusterManager?
        if let data {
            root = URL(fileURLWithPath: data)
        } else {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-fuzz-\(UUID().uuidString.prefix(8))")
            let started = ClusterManager(layout: ClusterLayout(root: root), binaries: binaries.map { URL(fileURLWithPath: $0) },
                                         log: { FileHandle.standardError.write(Data("\($0)\n".utf8)) })
            var configured = started
            // Peer caches serve only with the subnet channel on: on so their routes are fuzzed too.
            configured.peerCachingOnLoopback = true
            _ = try await configured.up()
            manager = started
        }
        defer {
            if let manager {
                _ = try? manager.down(grace: 5)
                try? FileManager.default.removeItem(at: root)
            }
        }
        let reports = try await Self.campaign(cluster: root, busCases: busCases, httpCases: httpCases, seed: seed) { kind, done, total in
            FileHandle.standardError.write(Data((total == 0 ? kind : "\(kind): \(done) of \(total) cases") .appending("\n").utf8))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(reports), as: UTF8.self))
        } else {
            for report in reports { print(report.summary) }
        }
        if reports.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }

    /// Runs the bus and the HTTP fuzzer against the running cluster at `cluster`.
    ///
    /// - Parameter progress: told (kind, cases done, cases in all) every 10,000 cases, and
    ///   (a note, 0, 0) when the HTTP run's real content could not be spread.
    public static func campaign(cluster: URL, busCases: Int, httpCases: Int, seed: UInt64,
                                progress: @escaping @Sendable (String, Int, Int) -> Void = { _, _, _ in }) async throws -> [FuzzReport] {
        let targets = try FuzzTarget.all(cluster: cluster)
        var reports: [FuzzReport] = []
        if busCases > 0 {
            reports.append(await BusFuzzer(targets: targets, cases: busCases, seed: seed) { progress("bus", $0, busCases) }.run())
        }
        if httpCases > 0 {
            let content = await FuzzContent.prepare(cluster: cluster, targets: targets, seed: seed) { progress("http: \($0)", 0, 0) }
            var report = await HTTPFuzzer(targets: targets, cases: httpCases, seed: seed,
                                            mutator: HTTPRequestMutator(tokens: try tokens(cluster: cluster, targets: targets, versions: content.versions),
                                                                        versions: content.versions, chunks: content.chunks)) {
                progress("http", $0, httpCases)
            }.run()
            report.realVersions = content.versions.count
            report.realChunks = content.chunks.count
            reports.append(report)
        }
        return reports
    }

    /// Valid site tokens for each real version (and one for no version): transfer for each DP,
    /// pull for each DP, download for every DP and the peer caches, issued to this host's
    /// address; so mutated requests reach the code behind the token check.
    static func tokens(cluster: URL, targets: [FuzzTarget], versions: [String]) throws -> [String] {
        let layout = ClusterLayout(root: cluster)
        let signer = try SiteTokenSigner(privateKeyFile: layout.siteSigningKey)
        let points = targets.filter { $0.service == "pull-dp" }.map(\.node)
        let now = Date()
        let expiry = now.addingTimeInterval(24 * 3600)
        var tokens: [String] = []
        for version in versions.map(Optional.some) + [nil] {
            for point in points {
                tokens.append(try signer.sign(SiteTokenClaims(scope: "transfer", subject: "ptm", audience: [point], versionID: version,
                                                              issuedAt: now, expiresAt: expiry)))
                tokens.append(try signer.sign(SiteTokenClaims(scope: SiteTokenClaims.pullScope, subject: point, audience: points.filter { $0 != point },
                                                              versionID: version, issuedAt: now, expiresAt: expiry)))
            }
            tokens.append(try signer.sign(SiteTokenClaims(scope: "download", subject: "127.0.0.1", audience: points + [SiteTokenClaims.peerCacheAudience],
                                                          versionID: version, issuedAt: now, expiresAt: expiry)))
        }
        return tokens
    }
}
