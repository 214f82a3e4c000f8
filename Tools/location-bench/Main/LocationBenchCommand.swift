import ArgumentParser
import CZeroMQ
import Bus
import ContentStore
import FerryFuzz
import Foundation
import Logging
import Messages
import ServiceKit
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `ferry-location-bench`: content-location answers per second from a real management
/// point (its own process, CurveZMQ on) whose view holds a large site, asked by many
/// simulated agents at once, each over its own connection from its own address (issue 15
/// item 8). Prints answers/s and latency percentiles.
@main
struct LocationBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry-location-bench",
        abstract: "Measure a real management point's content-location answers per second and latency.")

    @Option(help: "Agents registered with the MP (each its own key and address).") var agents = 10_000
    @Option(help: "DPs in the site snapshot.") var distributionPoints = 100
    @Option(help: "Boundary groups (a /24 each, two DPs each).") var groups = 50
    @Option(help: "Contents (each DP holds half of them).") var contents = 1_000
    @Option(help: "Simulated agents asking at once, one request at a time each.") var concurrency = 64
    @Option(help: "Seconds of load.") var seconds = 10.0
    @Option(help: "Threads driving the simulated agents (each agent still has its own connection and one request at a time).") var threads = 2
    @Option(help: "ZeroMQ I/O threads for all the simulated agents.") var ioThreads = 1
    @Option(help: "Where management-point is (default: next to this executable).") var binaries: String?

    func validate() throws {
        guard groups >= 1, groups <= 250, agents >= concurrency, concurrency >= 1, agents <= groups * 250 else {
            throw ValidationError("need 1-250 groups, 1 <= concurrency <= agents <= groups × 250")
        }
        guard distributionPoints >= 2 * groups else { throw ValidationError("need at least two DPs per group") }
        guard threads >= 1, ioThreads >= 1 else { throw ValidationError("need at least one thread and one I/O thread") }
        guard contents >= 1, seconds > 0 else { throw ValidationError("need at least one content and a positive --seconds") }
    }

    func run() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-location-bench-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let mpKeys = try CurveKeyPair.generate()
        let siteKeys = try CurveKeyPair.generate()
        let agentKeys = try (0..<agents).map { _ in try CurveKeyPair.generate() }
        try mpKeys.write(to: root.appendingPathComponent("mp.key"))
        let signingKey = root.appendingPathComponent("site-signing.key")
        try SiteTokenSigner.generateKeyPair(privateKeyFile: signingKey, publicKeyFile: root.appendingPathComponent("site-signing.key.pub"))
        let clients = ["    - {node: site, role: site, publicKey: '\(siteKeys.publicKey)'}"]
            + agentKeys.enumerated().map { "    - {node: '\(Self.agentName($0.offset))', role: agent, publicKey: '\($0.element.publicKey)'}" }
        let config = root.appendingPathComponent("mp.yaml")
        try Data("""
            node: mp
            dataDirectory: '\(root.appendingPathComponent("mp").path)'
            logLevel: warning
            bus:
              bind: 'tcp://127.0.0.1:0'
              keyFile: '\(root.appendingPathComponent("mp.key").path)'
              clients:
            \(clients.joined(separator: "\n"))
            http:
              host: 127.0.0.1
              port: 0
            siteSigningKeyFile: '\(signingKey.path)'

            """.utf8).write(to: config)

        let folder = binaries.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let process = Process()
        process.executableURL = folder.appendingPathComponent("management-point")
        process.arguments = ["--config", config.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        var endpoint: String?
        for _ in 0..<300 where endpoint == nil {
            endpoint = try? EndpointsFile.read(from: root.appendingPathComponent("mp")).busEndpoint
            if endpoint == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard let endpoint else { throw ValidationError("the management point did not start; see \(root.path)/mp/mp.log") }

        // The site's picture: groups of two DPs each, every DP holding half the contents.
        let snapshot = Self.snapshot(distributionPoints: distributionPoints, groups: groups, contents: contents)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let site = BusClient(node: "site", peer: "mp", endpoint: endpoint,
                             security: BusClientSecurity(identity: siteKeys, serverKey: mpKeys.publicKey), clock: SystemClock(), logger: logger)
        defer { site.close() }
        _ = try await site.request(snapshot, timeout: .seconds(60))
        Self.say("site snapshot: \(distributionPoints) DPs, \(groups) boundary groups, \(contents) contents "
              + "(\(String(format: "%.1f", Double((try EnvelopeCodec.json(snapshot)).count) / 1_000_000)) MB)")

        let started = Date()
        let registered = try await Self.onThreads(8) { worker in
            var count = 0
            for index in stride(from: worker, to: agentKeys.count, by: 8) {
                let address = Self.address(index, groups: groups)
                let dealer = try CurveDealer(endpoint: "tcp://\(address):0;" + endpoint.dropFirst("tcp://".count), serverKey: mpKeys.publicKey,
                                             publicKey: agentKeys[index].publicKey, secretKey: agentKeys[index].secretKey)
                let registration = AgentRegistration(agent: Self.agentName(index), address: address,
                                                     subnet: "127.1.\(index % groups).0/24", cachedVersions: [])
                _ = dealer.send(try EnvelopeCodec.encode(registration, sender: Self.agentName(index), sentAt: Date()))
                if let reply = dealer.receive(milliseconds: 10_000), (try? EnvelopeCodec.decode(reply))?.type == Ack.wireName { count += 1 }
            }
            return (count, [Double]())
        }.reduce(0) { $0 + $1.0 }
        Self.say("agents registered: \(registered) of \(agents) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

        let names = snapshot.contents.map(\.name)
        let duration = seconds
        let serverBefore = Self.cpuSeconds(process: process.processIdentifier), benchBefore = Self.cpuSeconds(process: getpid())
        // The simulated agents, spread over a few threads sharing one ZeroMQ context.
        guard let context = zmq_ctx_new() else { throw ValidationError("cannot create a ZeroMQ context") }
        zmq_ctx_set(context, ZMQ_IO_THREADS, Int32(ioThreads))
        zmq_ctx_set(context, ZMQ_MAX_SOCKETS, Int32(concurrency + 64))
        let shared = ContextBox(context)
        defer { zmq_ctx_term(context) }
        let serverKey = mpKeys.publicKey, threadCount = min(threads, concurrency)
        let end = DispatchTime.now() + .nanoseconds(Int(duration * 1_000_000_000))
        let results = try await Self.onThreads(threadCount) { thread in
            let mine = Array(stride(from: thread, to: concurrency, by: threadCount))
            let driver = try AgentDriver(context: shared.context, endpoint: endpoint, serverKey: serverKey, agents: mine.map { worker in
                AgentDriver.Agent(name: Self.agentName(worker), address: Self.address(worker, groups: groups),
                                  publicKey: agentKeys[worker].publicKey, secretKey: agentKeys[worker].secretKey)
            })
            var random = SeededGenerator(seed: UInt64(thread) + 1)
            let outcome = try driver.run(until: end, request: { index in
                let worker = mine[index]
                let content = names.randomElement(using: &random) ?? ""
                let query = ContentLocationQuery(content: content, versionID: nil, clientAddress: Self.address(worker, groups: groups), allowFallback: false)
                return try EnvelopeCodec.encode(query, sender: Self.agentName(worker), sentAt: Date())
            }, isAnswer: { (try? EnvelopeCodec.decode($0))?.type == ContentLocationReply.wireName })
            return (outcome.errors, outcome.latencies)
        }
        let serverCPU = Self.cpuSeconds(process: process.processIdentifier) - serverBefore, benchCPU = Self.cpuSeconds(process: getpid()) - benchBefore
        let latencies = results.flatMap(\.1).sorted()
        let errors = results.reduce(0) { $0 + $1.0 }
        func percentile(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        Self.say(String(format: "%d agents asking at once for %.0f s: %.0f answers/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d errors",
                     concurrency, duration, Double(latencies.count) / duration, percentile(0.5), percentile(0.99), latencies.last ?? 0, errors))
        // Where the two cores went: the MP's own CPU time per answer says what it could do alone.
        let answers = Double(max(latencies.count, 1))
        Self.say(String(format: "CPU while asking: management point %.2f s (%.0f µs an answer), this generator %.2f s (%.0f µs an answer), of %.0f s on %d cores",
                     serverCPU, serverCPU / answers * 1_000_000, benchCPU, benchCPU / answers * 1_000_000,
                     duration * Double(ProcessInfo.processInfo.activeProcessorCount), ProcessInfo.processInfo.activeProcessorCount))
    }

    /// User + system CPU seconds a process has used so far (Linux /proc), 0 when unreadable.
    static func cpuSeconds(process: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(process)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Prints a line at once, also to a file or pipe (print would buffer it until the end).
    static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    static func agentName(_ index: Int) -> String { String(format: "a%05d", index) }

    /// Agent `index` lives in group `index % groups`, at a host address of that group's /24.
    static func address(_ index: Int, groups: Int) -> String { "127.1.\(index % groups).\(index / groups + 1)" }

    static func snapshot(distributionPoints: Int, groups: Int, contents: Int) -> SiteSnapshot {
        let names = (0..<contents).map { String(format: "content%04d", $0) }
        let versions = names.map { ContentHash.hexOfName($0) }
        let points = (0..<distributionPoints).map { index in
            LocatableDistributionPoint(name: String(format: "dp%03d", index), httpURL: "http://127.0.0.1:\(9000 + index)",
                                       installedVersions: versions.enumerated().filter { ($0.offset + index) % 2 == 0 }.map(\.element),
                                       allowFallback: index % 10 == 0)
        }
        let boundaryGroups = (0..<groups).map { group in
            BoundaryGroup(name: "group\(group)", ranges: [BoundaryRange(subnet: "127.1.\(group).0/24", firstAddress: nil, lastAddress: nil)],
                          members: [BoundaryGroupMember(distributionPoint: points[2 * group].name, slow: false),
                                    BoundaryGroupMember(distributionPoint: points[2 * group + 1].name, slow: false)])
        }
        return SiteSnapshot(sequence: 1, boundaryGroups: boundaryGroups, distributionPoints: points,
                            contents: zip(names, versions).map { LocatableContent(name: $0, currentVersionID: $1, distributeOnDemand: false) },
                            deployments: [], collections: [])
    }

    /// Runs `work` on `count` threads of their own (they block on sockets) and collects results.
    static func onThreads(_ count: Int, _ work: @escaping @Sendable (Int) throws -> (Int, [Double])) async throws -> [(Int, [Double])] {
        try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
            for worker in 0..<count {
                group.addTask { try await onThread(named: "bench-\(worker)") { try work(worker) } }
            }
            var all: [(Int, [Double])] = []
            for try await result in group { all.append(result) }
            return all
        }
    }
}

/// Carries the generator's ZeroMQ context to its threads (a context is thread-safe; its sockets are not).
final class ContextBox: @unchecked Sendable {
    let context: UnsafeMutableRawPointer
    init(_ context: UnsafeMutableRawPointer) { self.context = context }
}

extension ContentHash {
    /// A stand-in version id: the SHA-256 of a content's name.
    static func hexOfName(_ name: String) -> String { sha256Hex(Data(name.utf8)) }
}
