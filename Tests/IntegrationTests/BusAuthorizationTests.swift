import Bus
import FerryCLI
import Foundation
import Logging
import Messages
import ServiceKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A bus connection to one of the cluster's services with one of the cluster's own keys,
/// declaring any sender: what an attacker holding that key could send.
struct BusProbe {
    let client: BusClient

    init(_ cluster: ClusterFixture, to node: String, key keyNode: String, sender: String? = nil, sourceAddress: String? = nil) throws {
        let service = try cluster.service(node)
        let keyFile = cluster.data.appendingPathComponent(keyNode == "cli" ? "keys/cli.key" : "keys/\(keyNode).key")
        var logger = Logger(label: "probe")
        logger.logLevel = .critical
        client = BusClient(node: sender ?? keyNode, peer: node, endpoint: service.bus,
                           security: BusClientSecurity(identity: try CurveKeyPair.load(from: keyFile.path), serverKey: service.publicKey),
                           sourceAddress: sourceAddress, clock: SystemClock(), logger: logger)
    }

    /// The error code of the refusal, or nil when the request was accepted.
    func refusal<R: Request>(_ request: R) async throws -> ErrorCode? {
        do {
            _ = try await client.request(request, timeout: .seconds(10))
            return nil
        } catch let error as BusError {
            guard let code = error.remoteCode else { throw error }
            return code
        }
    }

    func close() { client.close() }
}

extension ClusterTests {
    /// Issue 14 item 1 (the critical finding): one agent's key could make the MP accept a
    /// forged site snapshot whose deployment ran a command as root on every agent.
    @Test("Issue 14: an agent's key cannot forge a site snapshot, impersonate another agent or claim another address")
    func hostileAgentKey() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        try cluster.up()
        let marker = cluster.root.appendingPathComponent("pwned")

        // A forged snapshot with agent1's key, declared as agent1 and as the site.
        let forgedDeployment = DeploymentPolicy(id: "evil-1", content: "evil", versionID: String(repeating: "ab", count: 32),
                                                collection: "All Systems", command: "touch '\(marker.path)'", cacheOnly: false)
        let forged = SiteSnapshot(sequence: 1_000, boundaryGroups: [], distributionPoints: [], contents: [],
                                  deployments: [forgedDeployment], collections: [])
        let asItself = try BusProbe(cluster, to: "mp", key: "agent1", sourceAddress: "127.0.1.10")
        defer { asItself.close() }
        #expect(try await asItself.refusal(forged) == .notAuthorized)
        let asSite = try BusProbe(cluster, to: "mp", key: "agent1", sender: "site", sourceAddress: "127.0.1.10")
        defer { asSite.close() }
        #expect(try await asSite.refusal(forged) == .notAuthorized, "the envelope's sender must match the key")

        // agent3 reporting about agent1, and asking for agent1's policy.
        let agent3 = try BusProbe(cluster, to: "mp", key: "agent3", sourceAddress: "127.0.2.11")
        defer { agent3.close() }
        let status = AgentDeploymentState(agent: "agent1", deploymentID: "office-1", state: .failed, bytesDone: 0, bytesTotal: 0,
                                          source: nil, exitCode: nil, detail: "forged", updatedAt: Date())
        #expect(try await agent3.refusal(AgentStatusReport(status: status)) == .notAuthorized)
        #expect(try await agent3.refusal(PolicyQuery(agent: "agent1")) == .notAuthorized)
        #expect(try await agent3.refusal(AgentRegistration(agent: "agent1", address: "127.0.1.10", subnet: "127.0.1.0/24", cachedVersions: [])) == .notAuthorized)
        // An agent's key opens nothing at the site, which accepts only the PTM, the MP and the CLI.
        let atSite = try BusProbe(cluster, to: "site", key: "agent1")
        defer { atSite.close() }
        await #expect(throws: BusError.self) { _ = try await atSite.client.request(ListContents(), timeout: .seconds(2)) }
        // The CLI's key may administer the site but not pose as the PTM there.
        let cliAsTransfer = try BusProbe(cluster, to: "site", key: "cli", sender: "cli")
        defer { cliAsTransfer.close() }
        #expect(try await cliAsTransfer.refusal(TransferTokenRequest(distributionPoint: "dp1", versionID: String(repeating: "ab", count: 32))) == .notAuthorized)

        // agent3 claims agent1's address: the MP answers, and signs the token, for the address agent3 connects from.
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("tool.exe", 100_000)])
        try cluster.ok(["content", "create", "--name", "tool", "--source", source.path])
        try cluster.ok(["distribute", "tool", "--dp", "dp1"])
        try cluster.ok(["boundary-group", "create", "branch-2", "--subnet", "127.0.2.0/24"])
        try cluster.ok(["boundary-group", "add-dp", "branch-2", "dp1"])
        #expect(try cluster.ferry(["status", "tool", "--wait", "--timeout", "60"]).status == 0)
        var reply: ContentLocationReply?
        for _ in 0..<50 {
            reply = try await agent3.client.request(ContentLocationQuery(content: "tool", versionID: nil, clientAddress: "127.0.1.10",
                                                                          allowFallback: true))
            if reply?.downloadToken != nil { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let token = try #require(reply?.downloadToken)
        let claims = try Self.claims(of: token)
        #expect(claims.subject == "127.0.2.11", "the token was issued to the claimed address \(claims.subject)")
        #expect(claims.audience.contains("dp1") && claims.audience.contains(SiteTokenClaims.peerCacheAudience))

        // No forged deployment ran anywhere: agents poll policy every 2 s.
        try await Task.sleep(for: .seconds(6))
        #expect(!FileManager.default.fileExists(atPath: marker.path), "a forged deployment ran on an agent")
        for agent in ["agent1", "agent2", "agent3"] {
            let policy = try BusProbe(cluster, to: "mp", key: agent, sourceAddress: ClusterManager.agentAddresses[agent]?.0)
            defer { policy.close() }
            let reply = try await policy.client.request(PolicyQuery(agent: agent))
            #expect(reply.deployments.isEmpty, "\(agent) was handed a deployment")
        }
        // Refusals are logged, at most a few lines per peer.
        let log = try String(contentsOf: cluster.data.appendingPathComponent("mp/mp.log"), encoding: .utf8)
        #expect(log.contains("not authorized: refused site.snapshot"))
    }

    /// Issue 14 item 2: a frame far above the limit is dropped by libzmq as it arrives,
    /// instead of being buffered whole (MP 44 → 630 MB for a 300 MB frame).
    @Test("Issue 14: a 300 MB frame leaves the MP's memory flat")
    func oversizedFrameKeepsMemoryFlat() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        try cluster.up()
        let pid = try #require(cluster.pid("mp"))
        let before = try Self.residentMegabytes(pid)
        let service = try cluster.service("mp")
        let keys = try CurveKeyPair.load(from: cluster.data.appendingPathComponent("keys/agent1.key").path)
        let dealer = try CurveDealer(endpoint: service.bus, serverKey: service.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey)
        var frame = Data(#"{"id":"6F9619FF-8B86-D011-B42D-00CF4FC964FF","type":"agent.status","body":""#.utf8)
        frame.append(Data(repeating: UInt8(ascii: "a"), count: 300 * 1024 * 1024))
        try dealer.send(frame)
        frame = Data()
        var peak = before
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(250))
            peak = max(peak, try Self.residentMegabytes(pid))
        }
        #expect(peak - before < 64, "MP resident memory went from \(before) MB to \(peak) MB")
        // And it still serves.
        let probe = try BusProbe(cluster, to: "mp", key: "cli")
        defer { probe.close() }
        _ = try await probe.client.request(HealthQuery())
    }

    /// Issue 14 item 2: no keys, no bus, unless the administrator says `--insecure-bus`.
    @Test("Issue 14: a service without a key file refuses to start; --insecure-bus starts it with a warning")
    func serviceWithoutKeysRefusesToStart() async throws {
        let config = """
            node: mp
            dataDirectory: 'DATA/data'
            bus:
              bind: 'tcp://127.0.0.1:0'
              clients:
                - {node: cli, role: admin, publicKey: '\(String(repeating: "x", count: 40))'}
            http:
              host: 127.0.0.1
              port: 0

            """
        let refused = try await ServiceStartupTests.start("management-point", config: config, seconds: 5)
        #expect(!refused.stillRunning && refused.status != 0, "it should exit at once: \(refused.output)")
        #expect(refused.output.contains("bus.keyFile is not set"), "\(refused.output)")

        let insecure = try await ServiceStartupTests.start("management-point", config: config, arguments: ["--insecure-bus"], seconds: 4)
        #expect(insecure.stillRunning, "with --insecure-bus it keeps running: \(insecure.output)")
        #expect(insecure.output.contains("INSECURE BUS"), "\(insecure.output)")
    }

    /// The claims inside a site token (its signature is the DP's business).
    static func claims(of token: String) throws -> SiteTokenClaims {
        var payload = String(try #require(token.split(separator: ".").first))
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(SiteTokenClaims.self, from: try #require(Data(base64Encoded: payload)))
    }

    static func residentMegabytes(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        return kilobytes / 1024
    }
}

extension ClusterTests {
    /// Issue 14 item 3: the PTM's transfer token sat in world-readable SQLite files; key,
    /// token and state files are the service's alone now.
    @Test("Issue 14: keys and every service's data folder are readable only by the service")
    func secretsAreNotWorldReadable() throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        try cluster.up()
        func mode(_ url: URL) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        for node in ["site", "ptm", "mp", "dp1", "dp2", "agent1", "agent2", "agent3"] {
            #expect(try mode(cluster.data.appendingPathComponent(node)) & 0o077 == 0, "\(node)'s data folder is open to others")
            #expect(try mode(cluster.data.appendingPathComponent("keys/\(node).key")) & 0o077 == 0, "\(node).key is readable by others")
        }
        #expect(try mode(cluster.data.appendingPathComponent("keys/site-signing.key")) & 0o077 == 0)
        #expect(try mode(cluster.data.appendingPathComponent("keys/cli.key")) & 0o077 == 0)
        #expect(try mode(cluster.data.appendingPathComponent("keys")) & 0o077 == 0)
    }
}

extension ClusterTests {
    /// Issue 14 item 2: the README pointed at `ferry keys generate`, which did not exist.
    @Test("Issue 14: ferry keys generate writes a private key pair and its public key, and keeps an existing one")
    func keysGenerate() throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let file = cluster.root.appendingPathComponent("keys/dp9.key")
        let made = try cluster.ferry(["keys", "generate", "--out", file.path], withData: false)
        #expect(made.status == 0, "\(made.error)")
        let pair = try CurveKeyPair.load(from: file.path)
        #expect(made.output.trimmingCharacters(in: .whitespacesAndNewlines) == pair.publicKey)
        #expect(try String(contentsOf: URL(fileURLWithPath: file.path + ".pub"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines) == pair.publicKey)
        let mode = (try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        #expect(mode & 0o077 == 0)
        let again = try cluster.ferry(["keys", "generate", "--out", file.path], withData: false)
        #expect(again.status != 0 && again.error.contains("--force"), "\(again.error)")
        #expect(try CurveKeyPair.load(from: file.path) == pair, "an existing key must not be replaced silently")
        let site = try cluster.ferry(["keys", "site", "--out", cluster.root.appendingPathComponent("keys/site.key").path], withData: false)
        #expect(site.status == 0, "\(site.error)")
        _ = try SiteTokenSigner(privateKeyFile: cluster.root.appendingPathComponent("keys/site.key"))
        _ = try SiteTokenVerifier(publicKeyFile: cluster.root.appendingPathComponent("keys/site.key.pub"), clock: SystemClock())
    }
}
