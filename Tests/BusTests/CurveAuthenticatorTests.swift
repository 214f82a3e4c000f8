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

        var serverSecurity: BusServerSecurity {
            BusServerSecurity(identity: server, allowedClientKeys: [allowed.publicKey])
        }
    }

    @Test func anAllowedKeyGetsReplies() async throws {
        let keys = try Keys()
        let (server, endpoint) = try startServer(security: keys.serverSecurity)
        defer { server.stop() }
        let client = makeClient(endpoint, security: BusClientSecurity(identity: keys.allowed, serverKey: keys.server.publicKey))
        defer { client.close() }
        let reply = try await client.request(HealthQuery(), expecting: HealthReply.self, timeout: .seconds(5))
        #expect(reply.service == "test")
        // Repeated requests over the authenticated connection keep working.
        let detail = try await client.request(ShowContent(name: "office"), expecting: ContentDetail.self, timeout: .seconds(5))
        #expect(detail.content.name == "office")
    }

    @Test func aKeyThatIsNotListedGetsNoReply() async throws {
        let keys = try Keys()
        let (server, endpoint) = try startServer(security: keys.serverSecurity)
        defer { server.stop() }
        let stranger = makeClient(endpoint, security: BusClientSecurity(identity: keys.stranger, serverKey: keys.server.publicKey))
        defer { stranger.close() }
        let error = await #expect(throws: BusError.self) {
            try await stranger.request(HealthQuery(), expecting: HealthReply.self, timeout: .milliseconds(800))
        }
        guard case .timeout = error else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        // The refusal did not hurt the server: an allowed client still gets through.
        let friend = makeClient(endpoint, security: BusClientSecurity(identity: keys.allowed, serverKey: keys.server.publicKey))
        defer { friend.close() }
        _ = try await friend.request(HealthQuery(), expecting: HealthReply.self, timeout: .seconds(5))
    }

    @Test func aPlainClientGetsNoReplyFromACurveServer() async throws {
        let keys = try Keys()
        let (server, endpoint) = try startServer(security: keys.serverSecurity)
        defer { server.stop() }
        let plain = makeClient(endpoint)
        defer { plain.close() }
        await #expect(throws: BusError.self) {
            try await plain.request(HealthQuery(), expecting: HealthReply.self, timeout: .milliseconds(800))
        }
        // Nor does a raw DEALER's garbage reach the frame validator.
        let dealer = try RawDealer(endpoint: endpoint)
        defer { dealer.close() }
        try dealer.send(Data("{oops".utf8))
        #expect(await dealer.receive(timeout: .milliseconds(500)) == nil)
    }

    @Test func aClientWithTheWrongServerKeyGetsNoReply() async throws {
        let keys = try Keys()
        let (server, endpoint) = try startServer(security: keys.serverSecurity)
        defer { server.stop() }
        let impostor = try CurveKeyPair.generate()
        let client = makeClient(endpoint, security: BusClientSecurity(identity: keys.allowed, serverKey: impostor.publicKey))
        defer { client.close() }
        await #expect(throws: BusError.self) {
            try await client.request(HealthQuery(), expecting: HealthReply.self, timeout: .milliseconds(800))
        }
    }

    @Test func everyListedKeyIsAccepted() async throws {
        let server = try CurveKeyPair.generate()
        let clients = try (0..<3).map { _ in try CurveKeyPair.generate() }
        let security = BusServerSecurity(identity: server, allowedClientKeys: Set(clients.map(\.publicKey)))
        let (bus, endpoint) = try startServer(security: security)
        defer { bus.stop() }
        for identity in clients {
            let client = makeClient(endpoint, security: BusClientSecurity(identity: identity, serverKey: server.publicKey))
            defer { client.close() }
            _ = try await client.request(HealthQuery(), expecting: HealthReply.self, timeout: .seconds(5))
        }
    }

    @Test func twoCurveServersInOneProcessKeepTheirOwnAllowLists() async throws {
        let first = try Keys()
        let second = try Keys()
        let (a, endpointA) = try startServer(security: first.serverSecurity)
        defer { a.stop() }
        let (b, endpointB) = try startServer(security: second.serverSecurity)
        defer { b.stop() }
        let good = makeClient(endpointB, security: BusClientSecurity(identity: second.allowed, serverKey: second.server.publicKey))
        defer { good.close() }
        _ = try await good.request(HealthQuery(), expecting: HealthReply.self, timeout: .seconds(5))
        // First's client is not on second's list.
        let crossed = makeClient(endpointB, security: BusClientSecurity(identity: first.allowed, serverKey: second.server.publicKey))
        defer { crossed.close() }
        await #expect(throws: BusError.self) {
            try await crossed.request(HealthQuery(), expecting: HealthReply.self, timeout: .milliseconds(800))
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
