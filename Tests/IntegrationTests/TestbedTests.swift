import ContentStore
import Foundation
import Multicast
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Self-organizing multicast and peer caching on real subnets (network namespaces, a
/// rate-limited router, real NORM multicast): SPEC S1–S8, M6.
@Suite("Testbed", .serialized, .enabled(if: TestbedFixture.available, "needs root and nftables for network namespaces"))
struct TestbedTests {
    /// Every agent cached the version byte for byte, with what each reported.
    func expectEveryAgentHasIt(_ testbed: TestbedFixture, versionID: String, agents: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> DeploymentTestbedJSON {
        let finished = try testbed.waitFor(timeout: 150) { status in
            agents.allSatisfy { agent in ["cached", "failed"].contains(status.agent(agent)?.state ?? "") }
        }
        #expect(finished, "\(String(describing: try? testbed.status()))", sourceLocation: sourceLocation)
        let status = try testbed.status()
        let expected = try ContentHash.sha256Hex(Data(contentsOf: testbed.cluster.root.appendingPathComponent("source-image/image.bin")))
        for agent in agents {
            #expect(status.agent(agent)?.state == "cached", "\(agent): \(String(describing: status.agent(agent)))", sourceLocation: sourceLocation)
            #expect((try? testbed.installedHash(agent, versionID: versionID)) == expected, "\(agent) has a different image", sourceLocation: sourceLocation)
        }
        return status
    }

    func representatives(_ status: DeploymentTestbedJSON, subnet: Int) -> [String] {
        status.agents.filter { $0.agent.hasPrefix("s\(subnet)a") && $0.representative == true }.map(\.agent)
    }

    @Test("two subnets of four: one representative each, every agent byte-identical, WAN bytes per subnet at most 1.05 × the content")
    func multicastTwoSubnets() throws {
        let testbed = try TestbedFixture()
        defer { testbed.tearDown() }
        let versionID = try testbed.prepareContent()
        let before = try testbed.wanBytesIn()
        try testbed.cluster.ok(["deploy", "image", "--collection", "All Systems", "--cache-only", "--multicast", "on", "--multicast-delay", "3"])
        let status = try expectEveryAgentHasIt(testbed, versionID: versionID, agents: testbed.agents())
        let after = try testbed.wanBytesIn()
        for subnet in 1...2 {
            #expect(representatives(status, subnet: subnet).count == 1, "subnet \(subnet): \(representatives(status, subnet: subnet))")
            let wan = (after[subnet] ?? 0) - (before[subnet] ?? 0)
            #expect(wan > Int64(TestbedFixture.contentSize), "subnet \(subnet) got the content over its WAN once: \(wan) bytes")
            #expect(Double(wan) <= 1.05 * Double(TestbedFixture.contentSize), "subnet \(subnet): \(wan) WAN bytes")
        }
        // Agents run every thread, NORM's included, under batch scheduling (3, SCHED_BATCH) by default.
        for agent in testbed.agents() {
            #expect(try testbed.schedulingPolicies(agent) == [3], "\(agent)")
        }
        for agent in status.agents where agent.representative == false {
            #expect(agent.bytesFromDistributionPoint == 0, "\(agent.agent) fetched \(agent.bytesFromDistributionPoint ?? -1) bytes from the DP")
            #expect((agent.bytesFromMulticast ?? 0) > Int64(TestbedFixture.contentSize / 2), "\(agent.agent) heard little multicast: \(agent)")
            #expect(agent.received == Int64(TestbedFixture.contentSize), "\(agent.agent) fetched something twice: \(agent)")
        }
    }

    @Test("every agent gets the task at the same instant: still one representative per subnet")
    func simultaneousStart() throws {
        let testbed = try TestbedFixture()
        defer { testbed.tearDown() }
        let versionID = try testbed.prepareContent()
        // Stop every agent, deploy, then start them all together: each polls policy at start-up.
        for agent in testbed.agents() { kill(testbed.cluster.pid(agent) ?? 0, SIGTERM) }
        for agent in testbed.agents() {
            for _ in 0..<200 where kill(testbed.cluster.pid(agent) ?? 0, 0) == 0 { usleep(50_000) }
        }
        try testbed.cluster.ok(["deploy", "image", "--collection", "All Systems", "--cache-only", "--multicast", "on", "--multicast-delay", "3"])
        try testbed.cluster.ok(["cluster", "up"])
        let status = try expectEveryAgentHasIt(testbed, versionID: versionID, agents: testbed.agents())
        for subnet in 1...2 {
            #expect(representatives(status, subnet: subnet).count == 1, "subnet \(subnet): \(representatives(status, subnet: subnet))")
        }
    }

    @Test("1 % loss on every subnet's LAN: NORM repairs it, every agent byte-identical, no member asks the DP")
    func lossOnTheLAN() throws {
        let testbed = try TestbedFixture(lanLossPermille: 10)
        defer { testbed.tearDown() }
        let versionID = try testbed.prepareContent()
        try testbed.cluster.ok(["deploy", "image", "--collection", "All Systems", "--cache-only", "--multicast", "on", "--multicast-delay", "3"])
        let status = try expectEveryAgentHasIt(testbed, versionID: versionID, agents: testbed.agents())
        for subnet in 1...2 { #expect(representatives(status, subnet: subnet).count == 1) }
        for agent in status.agents where agent.representative == false {
            #expect(agent.bytesFromDistributionPoint == 0, "\(agent.agent): \(agent)")
        }
    }

    @Test("the representative dies mid-multicast: another takes over and nothing already received is fetched again")
    func representativeKilled() throws {
        let testbed = try TestbedFixture(subnets: 1, agents: 4)
        defer { testbed.tearDown() }
        let versionID = try testbed.prepareContent()
        let before = try testbed.wanBytesIn()
        try testbed.cluster.ok(["deploy", "image", "--collection", "All Systems", "--cache-only", "--multicast", "on", "--multicast-delay", "1"])
        // Multicast runs while the representative still downloads over the 20 Mbit/s WAN:
        // kill it once members hold a third of the image.
        let agents = testbed.agents(subnets: 1)
        var representative: String?
        let started = try testbed.waitFor(timeout: 60) { status in
            representative = agents.first { testbed.log($0).contains("representative for the subnet") }
            return status.agents.contains { $0.agent != representative && $0.state == "downloading" && $0.bytesDone > Int64(TestbedFixture.contentSize / 3) }
        }
        #expect(started)
        let killed = try #require(representative)
        try testbed.cluster.kill9(killed)
        let survivors = agents.filter { $0 != killed }
        let status = try expectEveryAgentHasIt(testbed, versionID: versionID, agents: survivors)
        let successors = survivors.filter { status.agent($0)?.representative == true }
        #expect(successors.count == 1, "\(successors)")
        for agent in survivors {
            #expect(status.agent(agent)?.received == Int64(TestbedFixture.contentSize), "\(agent) fetched something twice: \(String(describing: status.agent(agent)))")
        }
        let wan = (try testbed.wanBytesIn()[1] ?? 0) - (before[1] ?? 0)
        // The dead representative's download plus the rest: still about one copy.
        #expect(Double(wan) <= 1.1 * Double(TestbedFixture.contentSize), "\(wan) WAN bytes")
    }

    @Test("a member dies late in the multicast: the representative's flush gives up on it, everyone else finishes, no member asks the DP")
    func memberKilled() throws {
        let testbed = try TestbedFixture(subnets: 1, agents: 4)
        defer { testbed.tearDown() }
        let versionID = try testbed.prepareContent()
        let before = try testbed.wanBytesIn()
        try testbed.cluster.ok(["deploy", "image", "--collection", "All Systems", "--cache-only", "--multicast", "on", "--multicast-delay", "1"])
        // Multicast trails the representative's 20 Mbit/s download, so a member with 60 % has
        // acknowledged nothing of the rest: the flush that follows must not wait for it for good.
        let agents = testbed.agents(subnets: 1)
        var representative: String?
        var victim: String?
        let late = try testbed.waitFor(timeout: 60) { status in
            // Status names the representative only once it is done; its log names it at once.
            representative = agents.first { testbed.log($0).contains("representative for the subnet") }
            victim = status.agents.first {
                agents.contains($0.agent) && $0.agent != representative && $0.state == "downloading"
                    && $0.bytesDone > Int64(TestbedFixture.contentSize * 3 / 5)
            }?.agent
            return representative != nil && victim != nil
        }
        #expect(late)
        let killed = try #require(victim)
        try testbed.cluster.kill9(killed)
        let survivors = agents.filter { $0 != killed }
        let status = try expectEveryAgentHasIt(testbed, versionID: versionID, agents: survivors)
        let leaders = survivors.filter { status.agent($0)?.representative == true }
        #expect(leaders == [representative].compactMap { $0 }, "the first representative stays the only one: \(leaders)")
        #expect(testbed.log(try #require(representative)).contains("representative done"))
        for agent in survivors where !leaders.contains(agent) {
            #expect(status.agent(agent)?.bytesFromDistributionPoint == 0, "\(agent): \(String(describing: status.agent(agent)))")
        }
        let wan = (try testbed.wanBytesIn()[1] ?? 0) - (before[1] ?? 0)
        #expect(Double(wan) <= 1.05 * Double(TestbedFixture.contentSize), "\(wan) WAN bytes")
    }

    @Test("agents that get the task after the multicast began (or ended) keep what they hear and get the rest from peers, not the DP")
    func lateJoiners() throws {
        let testbed = try TestbedFixture(subnets: 1, agents: 4)
        defer { testbed.tearDown() }
        let versionID = try testbed.prepareContent()
        for agent in ["s1a3", "s1a4"] { kill(testbed.cluster.pid(agent) ?? 0, SIGTERM) }
        usleep(500_000)
        let before = try testbed.wanBytesIn()
        try testbed.cluster.ok(["deploy", "image", "--collection", "All Systems", "--cache-only", "--multicast", "on", "--multicast-delay", "1"])
        let began = try testbed.waitFor(timeout: 60) { status in
            status.agents.contains { $0.state == "downloading" && $0.bytesDone > Int64(TestbedFixture.contentSize / 4) && $0.representative != true
                && ["s1a1", "s1a2"].contains($0.agent) }
        }
        #expect(began)
        // s1a3 joins the running multicast (NORM repairs what it can, peers the rest);
        // s1a4 arrives after every early agent is done: everything comes from peers.
        try testbed.cluster.ok(["cluster", "up"])
        kill(testbed.cluster.pid("s1a4") ?? 0, SIGTERM)
        _ = try testbed.waitFor(timeout: 120) { status in ["s1a1", "s1a2", "s1a3"].allSatisfy { status.agent($0)?.state == "cached" } }
        try testbed.cluster.ok(["cluster", "up"])
        let status = try expectEveryAgentHasIt(testbed, versionID: versionID, agents: testbed.agents(subnets: 1))
        let joiner = try #require(status.agent("s1a3"))
        #expect(joiner.bytesFromDistributionPoint == 0, "\(joiner)")
        #expect(joiner.received == Int64(TestbedFixture.contentSize), "\(joiner)")
        // s1a4's first start (the `cluster up` above) may fetch a little before the SIGTERM
        // lands, and status counts only its last run: that run took everything from peers.
        let latecomer = try #require(status.agent("s1a4"))
        #expect(latecomer.bytesFromDistributionPoint == 0, "\(latecomer)")
        #expect(latecomer.bytesFromPeers == latecomer.received, "\(latecomer)")
        // Over every run of every agent: one copy crossed the WAN (the representative's), so
        // neither late agent, in any of its starts, downloaded from the DP.
        let wan = (try testbed.wanBytesIn()[1] ?? 0) - (before[1] ?? 0)
        #expect(Double(wan) <= 1.1 * Double(TestbedFixture.contentSize), "\(wan) WAN bytes")
    }

    @Test("peer caching with multicast off: one DP download per subnet, the rest from peers")
    func peerCachingWithoutMulticast() throws {
        let testbed = try TestbedFixture()
        defer { testbed.tearDown() }
        let versionID = try testbed.prepareContent()
        let before = try testbed.wanBytesIn()
        try testbed.cluster.ok(["deploy", "image", "--collection", "All Systems", "--cache-only", "--multicast", "off"])
        let status = try expectEveryAgentHasIt(testbed, versionID: versionID, agents: testbed.agents())
        let after = try testbed.wanBytesIn()
        for subnet in 1...2 {
            let fromDP = status.agents.filter { $0.agent.hasPrefix("s\(subnet)a") && ($0.bytesFromDistributionPoint ?? 0) > 0 }
            #expect(fromDP.count == 1, "subnet \(subnet): \(fromDP.map(\.agent))")
            #expect(status.agents.filter { $0.agent.hasPrefix("s\(subnet)a") }.allSatisfy { ($0.bytesFromMulticast ?? 0) == 0 })
            let wan = (after[subnet] ?? 0) - (before[subnet] ?? 0)
            #expect(Double(wan) <= 1.05 * Double(TestbedFixture.contentSize), "subnet \(subnet): \(wan) WAN bytes")
        }
    }

    @Test("a host in the subnet multicasts forged chunks for the session: every agent drops them")
    func forgedChunks() throws {
        let testbed = try TestbedFixture(subnets: 1, agents: 3)
        defer { testbed.tearDown() }
        let versionID = try testbed.prepareContent()
        let manifest = try ChunkStore(root: testbed.cluster.data.appendingPathComponent("dp1/store")).manifest(versionID)
        // The forger: one more host on subnet 1's bridge (down.sh removes every fy-* namespace).
        let shell = { (command: String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            try process.run()
            process.waitUntilExit()
        }
        try shell("""
            ip netns add fy-s1-forger && ip link add eth0 netns fy-s1-forger type veth peer name forger netns fy-lan1 && \
            ip -n fy-lan1 link set forger master br0 up && ip -n fy-s1-forger addr add 10.77.1.99/24 dev eth0 && \
            ip -n fy-s1-forger link set eth0 up && ip -n fy-s1-forger link set lo up && ip -n fy-s1-forger route add 224.0.0.0/4 dev eth0
            """)
        let forging = Flag()
        let forger = Thread {
            // This thread alone enters the forger's namespace; NORM's thread inherits it.
            let namespace = open("/var/run/netns/fy-s1-forger", O_RDONLY)
            // Glibc's module does not export setns (it needs _GNU_SOURCE); 0x40000000 is CLONE_NEWNET.
            typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
            guard namespace >= 0, let symbol = dlsym(nil, "setns"),
                  unsafeBitCast(symbol, to: SetNamespace.self)(namespace, 0x4000_0000) == 0 else { return }
            guard let channel = try? NormChannel(settings: NormSettings(interfaceAddress: "10.77.1.99", rateBitsPerSecond: 2_000_000),
                                                 interfaceName: "eth0", onObject: { _, _, _ in }),
                  (try? channel.startSending()) != nil else { return }
            // Well-formed bundles of forged chunks, a malformed bundle and an object that is not one.
            let forged = manifest.uniqueChunks.prefix(20).map { (hash: $0.hash, data: Data(repeating: 0x5A, count: $0.size)) }
            var objects = stride(from: 0, to: forged.count, by: 4).compactMap {
                try? ChunkBundle.encode(Array(forged[$0..<min($0 + 4, forged.count)]))
            }
            objects.append(Data("FYB1 truncated".utf8))
            while !forging.isSet {
                for object in objects where !forging.isSet {
                    channel.send(object, info: ChunkBundle.info)
                }
                channel.send(Data(repeating: 1, count: 1000), info: forged[0].hash)
                usleep(200_000)
            }
            channel.close()
        }
        forger.start()
        defer { forging.set() }
        try testbed.cluster.ok(["deploy", "image", "--collection", "All Systems", "--cache-only", "--multicast", "on", "--multicast-delay", "4"])
        _ = try expectEveryAgentHasIt(testbed, versionID: versionID, agents: testbed.agents(subnets: 1, agents: 3))
        forging.set()
        let members = testbed.agents(subnets: 1, agents: 3).filter { !testbed.log($0).contains("representative for the subnet") }
        let dropped = members.filter { testbed.log($0).contains("dropped a multicast chunk that does not match its hash") }
        #expect(!dropped.isEmpty, "no member logged a dropped forged chunk: the forger was not heard")
        for agent in testbed.agents(subnets: 1, agents: 3) {
            // Every stored chunk is named by the hash of its bytes.
            for (hash, _) in try testbed.cluster.storedChunks(agent) {
                let bytes = try Data(contentsOf: testbed.cluster.data.appendingPathComponent("\(agent)/store/chunks/\(hash.prefix(2))/\(hash)"))
                #expect(ContentHash.sha256Hex(bytes) == hash, "\(agent) kept a forged chunk \(hash)")
            }
        }
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
