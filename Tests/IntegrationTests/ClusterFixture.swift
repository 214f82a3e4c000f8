import ContentStore
import FerryCLI
import Foundation
import HTTPTransfer
import ServiceKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real local cluster in its own temp folder, driven through the real `ferry` executable.
final class ClusterFixture: @unchecked Sendable {
    let root: URL
    let data: URL
    let binaries: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-it-\(UUID().uuidString.prefix(8))", isDirectory: true)
        data = root.appendingPathComponent("cluster", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        binaries = Self.binaryFolder()
    }

    static func binaryFolder() -> URL {
        if let configured = ProcessInfo.processInfo.environment["FERRY_BIN_DIR"], !configured.isEmpty {
            return URL(fileURLWithPath: configured, isDirectory: true)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug", isDirectory: true)
    }

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs `ferry ARGS --data DIR` to completion.
    @discardableResult
    func ferry(_ arguments: [String], withData: Bool = true) throws -> Result {
        let process = Process()
        process.executableURL = binaries.appendingPathComponent("ferry")
        process.arguments = arguments + (withData ? ["--data", data.path] : [])
        var environment = ProcessInfo.processInfo.environment
        environment["FERRY_BIN_DIR"] = binaries.path
        environment["FERRY_HOME"] = root.appendingPathComponent("home").path
        process.environment = environment
        // Files, not pipes: services started by `cluster up` must not hold our pipe open.
        let outputURL = root.appendingPathComponent("out-\(UUID().uuidString)")
        let errorURL = root.appendingPathComponent("err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outputURL)
            try? FileManager.default.removeItem(at: errorURL)
        }
        let output = try FileHandle(forWritingTo: outputURL)
        let error = try FileHandle(forWritingTo: errorURL)
        process.standardOutput = output
        process.standardError = error
        try process.run()
        process.waitUntilExit()
        try? output.close()
        try? error.close()
        let outputData = (try? Data(contentsOf: outputURL)) ?? Data()
        let errorData = (try? Data(contentsOf: errorURL)) ?? Data()
        return Result(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                      error: String(decoding: errorData, as: UTF8.self))
    }

    /// Runs ferry and requires exit 0.
    @discardableResult
    func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try ferry(arguments)
        #expect(result.status == 0, "ferry \(arguments.joined(separator: " ")) failed: \(result.error) \(result.output)",
                sourceLocation: sourceLocation)
        return result.output
    }

    /// Runs ferry with --json and decodes the output.
    func json<T: Decodable>(_ type: T.Type, _ arguments: [String]) throws -> T {
        let result = try ferry(arguments + ["--json"])
        guard result.status == 0 else {
            throw FixtureError("ferry \(arguments.joined(separator: " ")) exited \(result.status): \(result.error)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) ?? Date()
        }
        return try decoder.decode(T.self, from: Data(result.output.utf8))
    }

    func up(_ options: [String] = []) throws {
        let result = try ferry(["cluster", "up"] + options)
        guard result.status == 0 else { throw FixtureError("cluster up failed: \(result.error)\n\(result.output)") }
    }

    /// Stops the cluster and removes every file the test made.
    func tearDown() {
        _ = try? ferry(["cluster", "down", "--grace", "5"])
        try? FileManager.default.removeItem(at: root)
    }

    func pid(_ node: String) -> Int32? {
        guard let text = try? String(contentsOf: data.appendingPathComponent("\(node)/pid"), encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func kill9(_ node: String) throws {
        guard let pid = pid(node) else { throw FixtureError("no pid for \(node)") }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        for _ in 0..<100 {
            if kill(pid, 0) != 0 { return }
            _ = waitpid(pid, &status, WNOHANG)
            usleep(20_000)
        }
    }

    /// The cluster description's entry for `node`.
    func service(_ node: String) throws -> (bus: String, http: String, publicKey: String) {
        guard let service = try ClusterLayout(root: data).readDescription().service(node) else {
            throw FixtureError("\(node) is not in cluster.yaml")
        }
        return (service.busEndpoint, service.httpURL, service.publicKey)
    }

    /// A site-signed token, as the management point (download) or the site (transfer) signs it.
    func token(scope: String = "download", versionID: String? = nil, client: String = "127.0.0.1",
               audience: [String] = ["dp1", "dp2"], expiresIn: TimeInterval = 600) throws -> String {
        let signer = try SiteTokenSigner(privateKeyFile: data.appendingPathComponent("keys/site-signing.key"))
        return try signer.sign(SiteTokenClaims(scope: scope, subject: client, audience: audience, versionID: versionID,
                                               issuedAt: Date().addingTimeInterval(min(0, expiresIn) - 1),
                                               expiresAt: Date().addingTimeInterval(expiresIn)))
    }

    /// Request options carrying a download token for `versionID`, sent from the client's own
    /// loopback address (DPs count clients by the address that connects).
    func download(_ versionID: String, client: String = "127.0.0.1") throws -> HTTPRequestOptions {
        HTTPRequestOptions(headers: ["Authorization": "Bearer \(try token(versionID: versionID, client: client))"], localAddress: client)
    }

    /// Request options carrying a site transfer token (site-internal reads by hash).
    /// With `versionID`, the token opens that version only (a manifest push needs it).
    func transfer(versionID: String? = nil) throws -> HTTPRequestOptions {
        HTTPRequestOptions(headers: ["Authorization": "Bearer \(try token(scope: "transfer", versionID: versionID))"])
    }

    /// The chunk files in a DP's store: name → size.
    func storedChunks(_ node: String) throws -> [String: Int] {
        let folder = data.appendingPathComponent("\(node)/store/chunks")
        var chunks: [String: Int] = [:]
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey]) else {
            return chunks
        }
        for case let url as URL in enumerator {
            let values = try url.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
            guard values.isRegularFile == true else { continue }
            chunks[url.lastPathComponent, default: 0] += values.fileSize ?? 0
        }
        return chunks
    }

    /// A counter from a service's /metrics.
    func metric(_ node: String, _ name: String) async throws -> Double {
        let response = try await HTTPClient.shared.get(try service(node).http + "/metrics")
        let text = String(decoding: response.body, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
            return Double(line.split(separator: " ").last ?? "0") ?? 0
        }
        return 0
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes a folder of pseudo-random files (seeded, so runs are comparable).
enum SourceFolder {
    static func make(at url: URL, files: [(String, Int)], seed: UInt64 = 1) throws {
        var generator = SplitMix(seed: seed)
        for (path, size) in files {
            let file = url.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try randomData(size, &generator).write(to: file)
        }
    }

    static func randomData(_ size: Int, _ generator: inout SplitMix) -> Data {
        var data = Data(count: size)
        data.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for index in 0..<words.count { words[index] = generator.next() }
            for index in (words.count * 8)..<size { raw[index] = UInt8(truncatingIfNeeded: generator.next()) }
        }
        return data
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The subset of `ferry status --json` the tests read.
struct StatusJSON: Decodable {
    struct Target: Decodable {
        var distributionPoint: String
        var versionID: String
        var state: String
        var bytesDone: Int64
        var attempts: Int
        var reason: String?
        var origin: String?
    }
    var name: String
    var versionID: String
    var version: Int
    var targets: [Target]
}

struct VersionJSON: Decodable {
    struct Version: Decodable {
        var number: Int
        var versionID: String
        var chunkCount: Int
    }
    var version: Version
    var isNewVersion: Bool
    var newChunks: Int
    var newBytes: Int64
}

/// Waits until `process` exits or `seconds` pass, polling with `Task.sleep`: a blocking wait
/// would hold one of the cooperative pool's two threads, and two such waits at once starve
/// every other test in the process (the bus tests' replies never get dispatched).
func waitForExit(_ process: Process, seconds: Double) async {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
}
