import Bus
import Foundation
import Messages
import Testing

@Suite("BusServer")
struct BusServerTests {
    @Test func answersABusClientRequestOnAnEphemeralPort() async throws {
        let (server, endpoint) = try startServer()
        defer { server.stop() }
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        #expect(!endpoint.hasSuffix(":0"))
        #expect(server.endpoint == endpoint)
        let client = makeClient(endpoint)
        defer { client.close() }
        let reply = try await client.request(HealthQuery(), timeout: .seconds(5))
        #expect(reply.service == "test")
        #expect(reply.node == "server")
    }

    @Test func repliesWhileEveryCooperativeThreadIsBusy() async throws {
        // Handlers run on the bus's own threads: a process whose Swift pool is held (two
        // threads on two cores) still answers before the requester's deadline.
        let (server, endpoint) = try startServer()
        defer { server.stop() }
        let client = makeClient(endpoint)
        defer { client.close() }
        _ = try await client.request(HealthQuery(), timeout: .seconds(5))
        let blockers = (0..<ProcessInfo.processInfo.activeProcessorCount).map { _ in
            Task { usleep(2_000_000) }
        }
        let reply = try await client.request(HealthQuery(), timeout: .milliseconds(700))
        for blocker in blockers { await blocker.value }
        #expect(reply.node == "server")
    }

    @Test func startTwiceReturnsTheSameEndpoint() throws {
        let (server, endpoint) = try startServer()
        defer { server.stop() }
        #expect(try server.start() == endpoint)
    }

    @Test func bindingAnEndpointInUseFailsAndTheFailedServerCanBeReleased() async throws {
        let (server, endpoint) = try startServer()
        defer { server.stop() }
        // Run on a plain thread: a failed server's release may block in zmq_ctx_term (see the report),
        // and must not take a Swift concurrency thread with it.
        let startError = Outcome<String>()
        let released = Outcome<Bool>()
        let clients = try testClients()
        let thread = Thread {
            do {
                let second = BusServer(node: "second", endpoint: endpoint, security: nil, clients: clients, dispatcher: testDispatcher(),
                                       logger: quietLogger)
                do {
                    try second.start()
                    startError.set("start() succeeded on an endpoint in use")
                    second.stop()
                } catch let error as ZMQError {
                    startError.set("ZMQError \(error.errno)")
                } catch {
                    startError.set("unexpected \(type(of: error))")
                }
            }
            released.set(true)
        }
        thread.start()
        #expect(await eventually(timeout: .seconds(5)) { startError.current != nil })
        #expect(startError.current == "ZMQError \(EADDRINUSE)")
        let wasReleased = await eventually(timeout: .seconds(2)) { released.current == true }
        #expect(wasReleased, "releasing a BusServer whose start() failed never returns")
    }

    @Test func repliesCarryTheRequestIDAsCorrelation() async throws {
        let (server, endpoint) = try startServer()
        defer { server.stop() }
        let client = makeClient(endpoint)
        defer { client.close() }
        let id = UUID()
        let reply = try await client.send(frame: try EnvelopeCodec.encode(HealthQuery(), id: id, sender: "client", sentAt: Date()),
                                          id: id, timeout: .seconds(5))
        #expect(reply.correlationID == id)
        #expect(reply.sender == "server")
        #expect(reply.type == HealthReply.wireName)
    }

    @Test func manyConcurrentRequestsEachGetTheirOwnReply() async throws {
        let (server, endpoint) = try startServer()
        defer { server.stop() }
        let client = makeClient(endpoint)
        defer { client.close() }
        let names = (0..<40).map { "content-\($0)" }
        let answered = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for name in names {
                group.addTask {
                    let detail = try await client.request(ShowContent(name: name), timeout: .seconds(10))
                    return (name, detail.content.name)
                }
            }
            var pairs: [(String, String)] = []
            for try await pair in group { pairs.append(pair) }
            return pairs
        }
        #expect(answered.count == names.count)
        for (asked, got) in answered { #expect(asked == got) }
    }

    // MARK: Frames it cannot trust

    enum BadFrame: String, CaseIterable, Sendable {
        case malformedJSON, notAnObject, emptyFrame, unknownType, version99, version0, oversized,
             missingEnvelopeField, missingBodyField

        var expectedCode: ErrorCode {
            switch self {
            case .malformedJSON, .notAnObject, .emptyFrame: .malformed
            case .unknownType: .unknownType
            case .version99, .version0: .unsupportedVersion
            case .oversized: .oversizedFrame
            case .missingEnvelopeField, .missingBodyField: .missingField
            }
        }

        /// Whether the server can read the envelope id back and correlate its refusal.
        var correlated: Bool {
            switch self {
            case .malformedJSON, .notAnObject, .emptyFrame: false
            default: true
            }
        }

        func frame(id: UUID, limit: Int) throws -> Data {
            func object<M: Message>(_ body: M) throws -> [String: Any] {
                let frame = try EnvelopeCodec.encode(body, id: id, sender: "raw", sentAt: Date())
                return try #require(try JSONSerialization.jsonObject(with: frame) as? [String: Any])
            }
            func data(_ object: [String: Any]) throws -> Data { try JSONSerialization.data(withJSONObject: object) }
            switch self {
            case .malformedJSON: return Data("{\"id\":\"\(id.uuidString)\", oops".utf8)
            case .notAnObject: return Data("[\"\(id.uuidString)\"]".utf8)
            case .emptyFrame: return Data()
            case .unknownType:
                var value = try object(HealthQuery())
                value["type"] = "no.such.type"
                return try data(value)
            case .version99:
                var value = try object(HealthQuery())
                value["version"] = 99
                return try data(value)
            case .version0:
                var value = try object(HealthQuery())
                value["version"] = 0
                return try data(value)
            case .oversized:
                let big = MissingChunksQuery(hashes: Array(repeating: String(repeating: "ab", count: 32), count: limit / 60))
                let frame = try EnvelopeCodec.encode(big, id: id, sender: "raw", sentAt: Date())
                #expect(frame.count > limit)
                return frame
            case .missingEnvelopeField:
                var value = try object(HealthQuery())
                value.removeValue(forKey: "sender")
                return try data(value)
            case .missingBodyField:
                var value = try object(ShowContent(name: "office"))
                value["body"] = [String: Any]()
                return try data(value)
            }
        }
    }

    @Test("a refused frame gets a typed ErrorReply and the server keeps serving", arguments: BadFrame.allCases)
    func refusesBadFrameAndKeepsServing(bad: BadFrame) async throws {
        let limit = 4096
        let (server, endpoint) = try startServer(maximumFrameSize: limit)
        defer { server.stop() }
        let dealer = try RawDealer(endpoint: endpoint)
        defer { dealer.close() }

        let id = UUID()
        try dealer.send(try bad.frame(id: id, limit: limit))
        let (reply, envelope) = try errorReply(await dealer.receive())
        #expect(reply.code == bad.expectedCode, "\(reply.message)")
        #expect(!reply.message.isEmpty)
        #expect(envelope.correlationID == (bad.correlated ? id : nil))
        if bad == .missingEnvelopeField { #expect(reply.message.contains("sender")) }
        if bad == .missingBodyField { #expect(reply.message.contains("'name'")) }

        // The same connection still gets answers.
        let goodID = UUID()
        try dealer.send(try EnvelopeCodec.encode(HealthQuery(), id: goodID, sender: "raw", sentAt: Date()))
        let good = try EnvelopeCodec.decode(try #require(await dealer.receive()))
        #expect(good.type == HealthReply.wireName)
        #expect(good.correlationID == goodID)

        // And so does a fresh client.
        let client = makeClient(endpoint)
        defer { client.close() }
        _ = try await client.request(HealthQuery(), timeout: .seconds(5))
    }

    @Test func survivesABurstOfGarbageFromManyPeers() async throws {
        let (server, endpoint) = try startServer(maximumFrameSize: 1024)
        defer { server.stop() }
        for round in 0..<3 {
            let dealer = try RawDealer(endpoint: endpoint)
            for garbage in [Data([0, 1, 2, 255]), Data("}{".utf8), Data(repeating: 0x7B, count: 2000), Data("null".utf8)] {
                try dealer.send(garbage)
            }
            // A multipart message with an empty delimiter, REQ-style: the last part is the payload.
            try dealer.send([Data(), Data("{bad".utf8)])
            var codes: [ErrorCode] = []
            for _ in 0..<5 {
                codes.append(try errorReply(await dealer.receive()).reply.code)
            }
            #expect(codes == [.malformed, .malformed, .oversizedFrame, .malformed, .malformed], "round \(round)")
            dealer.close()
        }
        let client = makeClient(endpoint)
        defer { client.close() }
        _ = try await client.request(HealthQuery(), timeout: .seconds(5))
    }

    @Test func aKnownTypeWithoutHandlerIsRefusedAsUnknown() async throws {
        let (server, endpoint) = try startServer()
        defer { server.stop() }
        let client = makeClient(endpoint)
        defer { client.close() }
        let error = await #expect(throws: BusError.self) {
            try await client.request(ListContents(), timeout: .seconds(5))
        }
        #expect(error?.remoteCode == .unknownType)
    }

    @Test func handlerErrorsBecomeTypedReplies() async throws {
        let (server, endpoint) = try startServer()
        defer { server.stop() }
        let client = makeClient(endpoint)
        defer { client.close() }
        let notFound = await #expect(throws: BusError.self) {
            try await client.request(ShowContent(name: "missing"), timeout: .seconds(5))
        }
        #expect(notFound?.remoteCode == .notFound)
        #expect(notFound?.description == "no content named 'missing'")
        let internalFailure = await #expect(throws: BusError.self) {
            try await client.request(ShowContent(name: "boom"), timeout: .seconds(5))
        }
        #expect(internalFailure?.remoteCode == .internalError)
        // Still serving.
        let detail = try await client.request(ShowContent(name: "office"), timeout: .seconds(5))
        #expect(detail.content.name == "office")
    }

    @Test func aStoppedServerNoLongerAnswers() async throws {
        let (server, endpoint) = try startServer()
        let client = makeClient(endpoint)
        defer { client.close() }
        _ = try await client.request(HealthQuery(), timeout: .seconds(5))
        server.stop()
        try await Task.sleep(for: .milliseconds(100))
        let error = await #expect(throws: BusError.self) {
            try await client.request(HealthQuery(), timeout: .milliseconds(500))
        }
        guard case .timeout = error else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
    }
}
