import Clocks
import Bus
import Foundation
import Messages
import Testing

@Suite("CurveZMQ authentication")
struct CurveAuthenticatorTests {
    struct Keys {
        let server: CurveKeyPair
        let allowed: CurveKeyPair
        let stranger: CurveKeyPair

        init() throws {
            server = try CurveKeyPair.generate()
            allowed = try CurveKeyPair.generate()
            stranger = try CurveKeyPair.generate()
        }

        var serverSecurity: BusServerSecurity { BusServerSecurity(identity: server) }
        func clients() throws -> PeerDirectory { try testClients(keys: [allowed]) }
    }

    @Test func anAllowedKeyGetsReplies() async throws {
        let keys = try Keys()
        let (server, endpoint) = try startServer(security: keys.serverSecurity, clients: try keys.clients())
        defer { server.stop() }
        let client = makeClient(endpoint, security: BusClientSecurity(identity: keys.allowed, serverKey: keys.server.publicKey))
        defer { client.close() }
        let reply = try await client.request(HealthQuery(), timeout: .seconds(5))
        #expect(reply.service == "test")
        // Repeated requests over the authenticated connection keep working.
        let detail = try await client.request(ShowContent(name: "office"), timeout: .seconds(5))
        #expect(detail.content.name == "office")
    }

    @Test func aKeyThatIsNotListedGetsNoReply() async throws {
        let keys = try Keys()
        let (server, endpoint) = try startServer(security: keys.serverSecurity, clients: try keys.clients())
        defer { server.stop() }
        let stranger = makeClient(endpoint, security: BusClientSecurity(identity: keys.stranger, serverKey: keys.server.publicKey))
        defer { stranger.close() }
        let error = await #expect(throws: BusError.self) {
            try await stranger.request(HealthQuery(), timeout: .milliseconds(800))
        }
        guard case .timeout = error else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        // The refusal did not hurt the server: an allowed client still gets through.
        let friend = makeClient(endpoint, security: BusClientSecurity(identity: keys.allowed, serverKey: keys.server.publicKey))
        defer { friend.close() }
        _ = try await friend.request(HealthQuery(), timeout: .seconds(5))
    }

    @Test func aPlainClientGetsNoReplyFromACurveServer() async throws {
        let keys = try Keys()
        let (server, endpoint) = try startServer(security: keys.serverSecurity, clients: try keys.clients())
        defer { server.stop() }
        let plain = makeClient(endpoint)
        defer { plain.close() }
        await #expect(throws: BusError.self) {
            try await plain.request(HealthQuery(), timeout: .milliseconds(800))
        }
        // Nor does a raw DEALER's garbage reach the frame validator.
        let dealer = try RawDealer(endpoint: endpoint)
        defer { dealer.close() }
        try dealer.send(Data("{oops".utf8))
        #expect(await dealer.receive(timeout: .milliseconds(500)) == nil)
    }

    @Test func aClientWithTheWrongServerKeyGetsNoReply() async throws {
        let keys = try Keys()
        let (server, endpoint) = try startServer(security: keys.serverSecurity, clients: try keys.clients())
        defer { server.stop() }
        let impostor = try CurveKeyPair.generate()
        let client = makeClient(endpoint, security: BusClientSecurity(identity: keys.allowed, serverKey: impostor.publicKey))
        defer { client.close() }
        await #expect(throws: BusError.self) {
            try await client.request(HealthQuery(), timeout: .milliseconds(800))
        }
    }

    @Test func everyListedKeyIsAccepted() async throws {
        let server = try CurveKeyPair.generate()
        let clients = try (0..<3).map { _ in try CurveKeyPair.generate() }
        let security = BusServerSecurity(identity: server)
        let (bus, endpoint) = try startServer(security: security, clients: try testClients(keys: clients))
        defer { bus.stop() }
        for (index, identity) in clients.enumerated() {
            let client = makeClient(endpoint, security: BusClientSecurity(identity: identity, serverKey: server.publicKey),
                                    node: index == 0 ? "client" : "client\(index + 1)")
            defer { client.close() }
            _ = try await client.request(HealthQuery(), timeout: .seconds(5))
        }
    }

    @Test func twoCurveServersInOneProcessKeepTheirOwnAllowLists() async throws {
        let first = try Keys()
        let second = try Keys()
        let (a, endpointA) = try startServer(security: first.serverSecurity, clients: try first.clients())
        defer { a.stop() }
        let (b, endpointB) = try startServer(security: second.serverSecurity, clients: try second.clients())
        defer { b.stop() }
        let good = makeClient(endpointB, security: BusClientSecurity(identity: second.allowed, serverKey: second.server.publicKey))
        defer { good.close() }
        _ = try await good.request(HealthQuery(), timeout: .seconds(5))
        // First's client is not on second's list.
        let crossed = makeClient(endpointB, security: BusClientSecurity(identity: first.allowed, serverKey: second.server.publicKey))
        defer { crossed.close() }
        await #expect(throws: BusError.self) {
            try await crossed.request(HealthQuery(), timeout: .milliseconds(800))
        }
        _ = endpointA
    }
}

@Suite("CurveKeyPair")
struct CurveKeyPairTests {
    @Test func generatesDistinctFortyCharacterZ85Keys() throws {
        let pairs = try (0..<20).map { _ in try CurveKeyPair.generate() }
        for pair in pairs {
            #expect(pair.publicKey.utf8.count == 40)
            #expect(pair.secretKey.utf8.count == 40)
            #expect(CurveKeyPair.isValid(pair.publicKey))
            #expect(CurveKeyPair.isValid(pair.secretKey))
            #expect(pair.publicKey != pair.secretKey)
        }
        #expect(Set(pairs.map(\.publicKey)).count == pairs.count)
    }

    @Test func validityIsAboutLength() {
        #expect(!CurveKeyPair.isValid(""))
        #expect(!CurveKeyPair.isValid(String(repeating: "a", count: 39)))
        #expect(!CurveKeyPair.isValid(String(repeating: "a", count: 41)))
        #expect(CurveKeyPair.isValid(String(repeating: "a", count: 40)))
    }
}

/// Issue 14 item 1: the bus server tells each handler which peer (key, node, role, address)
/// a message came from, from the Curve handshake rather than the envelope.
@Suite("BusServer peers")
struct BusServerPeerTests {
    /// Answers a health query with who the server believes asked.
    static func whoAmIDispatcher() -> BusDispatcher {
        var dispatcher = BusDispatcher(clock: SystemClock(), logger: quietLogger)
        dispatcher.on(HealthQuery.self, allowedSenders: Set(PeerRole.allCases)) { _, envelope in
            HealthReply(service: envelope.peer?.role.rawValue ?? "-", node: envelope.peer?.node ?? "-",
                        startedAt: Date(timeIntervalSince1970: 0), busEndpoint: envelope.peer?.address ?? "-",
                        httpURL: envelope.peer?.publicKey)
        }
        return dispatcher
    }

    @Test("Issue 14: the peer comes from the client's key and its connection's address")
    func thePeerIsTheKeysNode() async throws {
        let server = try CurveKeyPair.generate()
        let agent = try CurveKeyPair.generate()
        let clients = try PeerDirectory([KnownPeer(node: "agent7", role: .agent, publicKey: agent.publicKey)])
        let (bus, endpoint) = try startServer(dispatcher: Self.whoAmIDispatcher(), security: BusServerSecurity(identity: server), clients: clients)
        defer { bus.stop() }
        let client = BusClient(node: "agent7", peer: "server", endpoint: endpoint,
                               security: BusClientSecurity(identity: agent, serverKey: server.publicKey),
                               sourceAddress: "127.0.3.7", clock: SystemClock(), logger: quietLogger)
        defer { client.close() }
        let reply = try await client.request(HealthQuery(), timeout: .seconds(5))
        #expect(reply.node == "agent7")
        #expect(reply.service == "agent")
        #expect(reply.busEndpoint == "127.0.3.7", "the source address the client bound")
        #expect(reply.httpURL == agent.publicKey)
    }

    @Test("Issue 14: a key's peer cannot declare itself another node")
    func aDeclaredSenderOtherThanTheKeysIsRefused() async throws {
        let server = try CurveKeyPair.generate()
        let agent = try CurveKeyPair.generate()
        let clients = try PeerDirectory([KnownPeer(node: "agent7", role: .agent, publicKey: agent.publicKey),
                                         KnownPeer(node: "site", role: .site, publicKey: try CurveKeyPair.generate().publicKey)])
        let (bus, endpoint) = try startServer(dispatcher: Self.whoAmIDispatcher(), security: BusServerSecurity(identity: server), clients: clients)
        defer { bus.stop() }
        let impostor = BusClient(node: "site", peer: "server", endpoint: endpoint,
                                 security: BusClientSecurity(identity: agent, serverKey: server.publicKey), clock: SystemClock(), logger: quietLogger)
        defer { impostor.close() }
        await #expect { try await impostor.request(HealthQuery(), timeout: .seconds(5)) } throws: { error in
            (error as? BusError)?.remoteCode == .notAuthorized
        }
    }

    @Test("Issue 14: on an insecure bus an unknown declared sender is refused")
    func insecureUnknownSenderIsRefused() async throws {
        let (bus, endpoint) = try startServer(dispatcher: Self.whoAmIDispatcher())
        defer { bus.stop() }
        let stranger = makeClient(endpoint, node: "stranger")
        defer { stranger.close() }
        await #expect { try await stranger.request(HealthQuery(), timeout: .seconds(5)) } throws: { error in
            (error as? BusError)?.remoteCode == .notAuthorized
        }
        let known = makeClient(endpoint)
        defer { known.close() }
        #expect(try await known.request(HealthQuery(), timeout: .seconds(5)).node == "client")
    }
}
