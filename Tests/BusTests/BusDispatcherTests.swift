import Clocks
import Bus
import Foundation
import GRDB
import Messages
import Logging
import Store
import Synchronization
import Testing

@Suite("BusDispatcher")
struct BusDispatcherTests {
    final class Counter: Sendable {
        private let value = Mutex(0)
        func increment() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    /// An envelope as a server hands it over: from an authenticated peer (the site, by default).
    static func envelope<M: Message>(_ body: M, id: UUID = UUID(), sender: String = "site", peer: BusPeer? = BusPeer(node: "site", role: .site)) throws -> Envelope {
        var envelope = try EnvelopeCodec.decode(try EnvelopeCodec.encode(body, id: id, sender: sender, sentAt: Date()))
        envelope.peer = peer
        return envelope
    }

    static func reply(_ frame: Data) throws -> Envelope {
        try EnvelopeCodec.decode(frame)
    }

    // MARK: Queries

    @Test func routesToTheHandlerAndCorrelatesTheReply() async throws {
        let request = try Self.envelope(ShowContent(name: "office"))
        let frame = await testDispatcher().dispatch(request, node: "dm")
        let reply = try Self.reply(frame)
        #expect(reply.type == ContentDetail.wireName)
        #expect(reply.correlationID == request.id)
        #expect(reply.sender == "dm")
        #expect(try reply.decodeBody(ContentDetail.self).content.name == "office")
    }

    @Test func unhandledTypeIsRefusedAsUnknown() async throws {
        let request = try Self.envelope(ListContents())
        let reply = try Self.reply(await testDispatcher().dispatch(request, node: "dm"))
        let error = try reply.decodeBody(ErrorReply.self)
        #expect(error.code == .unknownType)
        #expect(error.message.contains(ListContents.wireName))
        #expect(reply.correlationID == request.id)
    }

    @Test func wireErrorsKeepTheirCodeAndOtherErrorsAreInternal() async throws {
        let dispatcher = testDispatcher()
        let notFound = try Self.reply(await dispatcher.dispatch(try Self.envelope(ShowContent(name: "missing")), node: "dm"))
        #expect(try notFound.decodeBody(ErrorReply.self).code == .notFound)
        let boom = try Self.reply(await dispatcher.dispatch(try Self.envelope(ShowContent(name: "boom")), node: "dm"))
        let internalFailure = try boom.decodeBody(ErrorReply.self)
        #expect(internalFailure.code == .internalError)
        #expect(internalFailure.message.contains("handler exploded"))
    }

    @Test func aBodyMissingAFieldIsRefusedWithTheFieldName() async throws {
        let good = try EnvelopeCodec.encode(ShowContent(name: "x"), sender: "site", sentAt: Date())
        var object = try #require(try JSONSerialization.jsonObject(with: good) as? [String: Any])
        object["body"] = ["nom": "x"]
        var request = try EnvelopeCodec.decode(try JSONSerialization.data(withJSONObject: object))
        request.peer = BusPeer(node: "site", role: .site)
        let reply = try Self.reply(await testDispatcher().dispatch(request, node: "dm"))
        let error = try reply.decodeBody(ErrorReply.self)
        #expect(error.code == .missingField)
        #expect(error.message.contains("'name'"))
    }

    /// Issue 15 item 2: the distribution manager registered `dp.list` twice and the second
    /// silently replaced the first.
    @Test func registeringATypeTwiceIsRefusedAtStart() throws {
        var dispatcher = BusDispatcher(clock: SystemClock(), logger: quietLogger)
        dispatcher.on(HealthQuery.self) { _, _ in HealthReply(service: "first", node: "n", startedAt: .distantPast, busEndpoint: "", httpURL: nil) }
        dispatcher.on(HealthQuery.self) { _, _ in HealthReply(service: "second", node: "n", startedAt: .distantPast, busEndpoint: "", httpURL: nil) }
        #expect(dispatcher.duplicateRegistrations == [HealthQuery.wireName])
        let server = BusServer(node: "n", endpoint: "tcp://127.0.0.1:0", security: nil, clients: try testClients(), dispatcher: dispatcher,
                               logger: quietLogger)
        #expect(throws: BusWiringError.self) { try server.start() }
        KeepAlive.keep(server)
    }

    // MARK: Commands, without sockets

    @Test func aCommandIsAppliedOnceAndTheDuplicateIsAcked() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try makeEffectsDatabase(folder)
        let committed = Counter()
        var dispatcher = BusDispatcher(clock: SystemClock(), logger: quietLogger)
        dispatcher.onCommand(TransferJob.self, database: database, apply: recordEffect,
                             afterCommit: { _ in committed.increment() })
        let command = try Self.envelope(TransferJob.example)

        let first = try Self.reply(await dispatcher.dispatch(command, node: "ptm")).decodeBody(Ack.self)
        #expect(first.messageID == command.id)
        #expect(!first.duplicate)
        let second = try Self.reply(await dispatcher.dispatch(command, node: "ptm")).decodeBody(Ack.self)
        #expect(second.messageID == command.id)
        #expect(second.duplicate)

        #expect(try await effectCount(database) == 1)
        #expect(try await inboxCount(database) == 1)
        #expect(committed.count == 1)
        let record = try await database.read { db in try InboxRecord.fetchOne(db, key: command.id.uuidString) }
        #expect(record?.type == TransferJob.wireName)
        #expect(record?.sender == "site")

        // A different id with the same body is a different command.
        let other = try Self.envelope(TransferJob.example)
        let third = try Self.reply(await dispatcher.dispatch(other, node: "ptm")).decodeBody(Ack.self)
        #expect(!third.duplicate)
        #expect(try await effectCount(database) == 2)
        #expect(committed.count == 2)
    }

    @Test func concurrentDuplicatesApplyOnce() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try makeEffectsDatabase(folder)
        let dispatcher = testDispatcher(database: database)
        let command = try Self.envelope(TransferJob.example)
        let acks = try await withThrowingTaskGroup(of: Ack.self) { group in
            for _ in 0..<8 {
                group.addTask { try Self.reply(await dispatcher.dispatch(command, node: "ptm")).decodeBody(Ack.self) }
            }
            var acks: [Ack] = []
            for try await ack in group { acks.append(ack) }
            return acks
        }
        #expect(acks.filter { !$0.duplicate }.count == 1)
        #expect(acks.filter(\.duplicate).count == 7)
        #expect(try await effectCount(database) == 1)
    }

    @Test func aThrowingApplyRollsBackEffectAndInboxRecord() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try makeEffectsDatabase(folder)
        let committed = Counter()
        var dispatcher = BusDispatcher(clock: SystemClock(), logger: quietLogger)
        dispatcher.onCommand(TransferJob.self, database: database, apply: { job, envelope, db in
            try recordEffect(job, envelope, db)
            throw TestFailure("disk on fire")
        }, afterCommit: { _ in committed.increment() })
        let command = try Self.envelope(TransferJob.example)

        let reply = try Self.reply(await dispatcher.dispatch(command, node: "ptm"))
        let error = try reply.decodeBody(ErrorReply.self)
        #expect(error.code == .internalError)
        #expect(error.message.contains("disk on fire"))
        #expect(reply.correlationID == command.id)
        #expect(try await effectCount(database) == 0)
        #expect(try await inboxCount(database) == 0)
        let seen = try await database.read { db in try InboxRecord.contains(db, messageID: command.id) }
        #expect(!seen)
        #expect(committed.count == 0)
    }

    @Test func aRefusingApplyKeepsItsCodeAndCanSucceedOnRetry() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try makeEffectsDatabase(folder)
        let attempts = Counter()
        var dispatcher = BusDispatcher(clock: SystemClock(), logger: quietLogger)
        dispatcher.onCommand(TransferJob.self, database: database) { job, envelope, db in
            attempts.increment()
            try recordEffect(job, envelope, db)
            if attempts.count == 1 { throw WireError(code: .unavailable, message: "busy") }
            return .applied
        }
        let command = try Self.envelope(TransferJob.example)
        let refused = try Self.reply(await dispatcher.dispatch(command, node: "ptm")).decodeBody(ErrorReply.self)
        #expect(refused.code == .unavailable)
        #expect(try await effectCount(database) == 0)
        // The sender retries the same id: now it applies, and only once.
        let ack = try Self.reply(await dispatcher.dispatch(command, node: "ptm")).decodeBody(Ack.self)
        #expect(!ack.duplicate)
        #expect(try await effectCount(database) == 1)
    }

    // MARK: Commands through a real server

    @Test func sameFrameSentTwiceOverTheBusIsAppliedOnce() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try makeEffectsDatabase(folder)
        let (server, endpoint) = try startServer(dispatcher: testDispatcher(database: database))
        defer { server.stop() }
        let client = makeClient(endpoint)
        defer { client.close() }

        let id = UUID()
        let frame = try EnvelopeCodec.encode(TransferJob.example, id: id, sender: "site", sentAt: Date())
        let first = try ack(try await client.send(frame: frame, id: id, timeout: .seconds(5)))
        let second = try ack(try await client.send(frame: frame, id: id, timeout: .seconds(5)))
        #expect(first.messageID == id)
        #expect(!first.duplicate)
        #expect(second.messageID == id)
        #expect(second.duplicate)
        #expect(try await effectCount(database) == 1)

        // From a second connection, too.
        let other = makeClient(endpoint)
        defer { other.close() }
        let third = try ack(try await other.send(frame: frame, id: id, timeout: .seconds(5)))
        #expect(third.duplicate)
        #expect(try await effectCount(database) == 1)
    }

    @Test func aThrowingApplyOverTheBusRepliesAnErrorAndRecordsNothing() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try makeEffectsDatabase(folder)
        var dispatcher = BusDispatcher(clock: SystemClock(), logger: quietLogger)
        dispatcher.onCommand(TransferJob.self, database: database) { job, envelope, db in
            try recordEffect(job, envelope, db)
            throw TestFailure("refuse")
        }
        let (server, endpoint) = try startServer(dispatcher: dispatcher)
        defer { server.stop() }
        let client = makeClient(endpoint)
        defer { client.close() }
        let error = await #expect(throws: BusError.self) {
            try await client.request(TransferJob.example, timeout: .seconds(5))
        }
        #expect(error?.remoteCode == .internalError)
        #expect(try await effectCount(database) == 0)
        #expect(try await inboxCount(database) == 0)
    }
}

/// Issue 14 item 1: every bus message authorized by who sent it.
@Suite("BusDispatcher authorization")
struct BusDispatcherAuthorizationTests {
    static func dispatcher() -> BusDispatcher {
        var dispatcher = BusDispatcher(clock: SystemClock(), logger: quietLogger)
        // The type's own list: the site only.
        dispatcher.on(SiteSnapshot.self) { _, envelope in Ack(messageID: envelope.id, duplicate: false) }
        return dispatcher
    }

    static func code(_ frame: Data) throws -> ErrorCode? {
        let reply = try EnvelopeCodec.decode(frame)
        guard reply.type == ErrorReply.wireName else { return nil }
        return try reply.decodeBody(ErrorReply.self).code
    }

    @Test("Issue 14: a role the type does not allow is refused as not-authorized")
    func aRoleNotAllowedIsRefused() async throws {
        let envelope = try BusDispatcherTests.envelope(SiteSnapshot.example, sender: "agent1", peer: BusPeer(node: "agent1", role: .agent))
        #expect(try Self.code(await Self.dispatcher().dispatch(envelope, node: "mp")) == .notAuthorized)
        let site = try BusDispatcherTests.envelope(SiteSnapshot.example, sender: "site", peer: BusPeer(node: "site", role: .site))
        #expect(try Self.code(await Self.dispatcher().dispatch(site, node: "mp")) == nil)
    }

    @Test("Issue 14: the envelope's sender must be the authenticated peer")
    func aSenderThatIsNotThePeerIsRefused() async throws {
        let envelope = try BusDispatcherTests.envelope(SiteSnapshot.example, sender: "site", peer: BusPeer(node: "agent1", role: .site))
        #expect(try Self.code(await Self.dispatcher().dispatch(envelope, node: "mp")) == .notAuthorized)
    }

    @Test("Issue 14: an unauthenticated envelope is refused")
    func noPeerIsRefused() async throws {
        let envelope = try BusDispatcherTests.envelope(SiteSnapshot.example, sender: "site", peer: nil)
        #expect(try Self.code(await Self.dispatcher().dispatch(envelope, node: "mp")) == .notAuthorized)
    }

    @Test("Issue 14: a type that names no senders is refused from everyone")
    func replyTypesAreNobodysRequest() async throws {
        // A reply type cannot be registered at all (a handler is for a Request); a request
        // whose registration names nobody is refused from every role.
        var dispatcher = BusDispatcher(clock: SystemClock(), logger: quietLogger)
        dispatcher.on(HealthQuery.self, allowedSenders: []) { _, _ in
            HealthReply(service: "test", node: "n", startedAt: .distantPast, busEndpoint: "", httpURL: nil)
        }
        for role in PeerRole.allCases {
            let envelope = try BusDispatcherTests.envelope(HealthQuery(), sender: "n", peer: BusPeer(node: "n", role: role))
            #expect(try Self.code(await dispatcher.dispatch(envelope, node: "x")) == .notAuthorized)
        }
    }

    @Test("Issue 14: agents may report only about themselves")
    func agentsSpeakOnlyForThemselves() throws {
        var envelope = try BusDispatcherTests.envelope(HealthQuery(), sender: "agent3", peer: BusPeer(node: "agent3", role: .agent))
        #expect(throws: WireError.self) { try envelope.requireAgentSelf("agent1") }
        try envelope.requireAgentSelf("agent3")
        envelope.peer = BusPeer(node: "mp", role: .managementPoint)
        try envelope.requireAgentSelf("agent1")
    }

    @Test("Issue 14: a command skipped as older is acknowledged, but afterCommit does not claim it applied")
    func skippedCommandsDoNotRunAfterCommit() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try makeEffectsDatabase(folder)
        let applied = BusDispatcherTests.Counter()
        var dispatcher = BusDispatcher(clock: SystemClock(), logger: quietLogger)
        dispatcher.onCommand(TransferJob.self, database: database, apply: { _, _, _ in .skipped("older") },
                             afterCommit: { _ in applied.increment() })
        let reply = try EnvelopeCodec.decode(await dispatcher.dispatch(try BusDispatcherTests.envelope(TransferJob.example), node: "ptm"))
        #expect(try reply.decodeBody(Ack.self).duplicate == false)
        #expect(applied.count == 0)
        #expect(try await inboxCount(database) == 1)
    }
}

/// Keeps every line logged through it, for tests that check what a service logs.
final class CapturingLogHandler: LogHandler, Sendable {
    private let lines = Mutex<[String]>([])
    var logged: [String] { lines.withLock { $0 } }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.withLock { $0.append("\(event.message) \(fields)") }
    }
}

@Suite("BusDispatcher refusal log")
struct RefusalLogTests {
    @Test("Issue 14 item 1: refusals are logged at most five per peer per minute, then counted in one line")
    func refusalsAreRateLimitedPerPeer() async throws {
        let handler = CapturingLogHandler()
        let clock = ManualClock()
        var dispatcher = BusDispatcher(clock: clock, logger: Logger(label: "refusals", factory: { _ in handler }))
        dispatcher.on(SiteSnapshot.self) { _, envelope in Ack(messageID: envelope.id, duplicate: false) }
        func refuse(_ agent: String) async throws {
            let envelope = try BusDispatcherTests.envelope(SiteSnapshot.example, sender: agent, peer: BusPeer(node: agent, role: .agent))
            _ = await dispatcher.dispatch(envelope, node: "mp")
        }
        for _ in 0..<20 { try await refuse("agent1") }
        for _ in 0..<2 { try await refuse("agent2") }
        func refusedLines(_ agent: String) -> Int { handler.logged.filter { $0.contains("refused site.snapshot") && $0.contains("agent \(agent)") }.count }
        #expect(refusedLines("agent1") == 5, "\(handler.logged)")
        #expect(refusedLines("agent2") == 2, "another peer has its own allowance")
        #expect(!handler.logged.contains { $0.contains("not logged") })

        clock.advance(by: .seconds(61))
        try await refuse("agent1")
        #expect(handler.logged.contains { $0.contains("more refusals not logged") && $0.contains("count=15") && $0.contains("agent agent1") },
                "\(handler.logged)")
        #expect(refusedLines("agent1") == 6, "a new minute, a new allowance")
    }
}
