import Clocks
import Bus
import Foundation
import GRDB
import Messages
import Store
import Testing

@Suite("Outbox and OutboxPump")
struct OutboxPumpTests {
    /// The sender's own database: a `jobs` table standing for its state change.
    static func senderDatabase(_ folder: TemporaryFolder) throws -> ServiceDatabase {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("jobs-v1") { db in
            try db.create(table: "jobs") { table in
                table.primaryKey("id", .text)
            }
        }
        return try ServiceDatabase(url: folder.file("sender.sqlite"), migrator: migrator)
    }

    /// Records a job and queues its command in one transaction, as a service does.
    static func enqueueJob(_ database: ServiceDatabase, to peer: String = "ptm", now: Date = Date()) async throws -> UUID {
        try await database.write { db in
            let job = TransferJob.example
            try db.execute(sql: "INSERT INTO jobs (id) VALUES (?)", arguments: [UUID().uuidString])
            return try Outbox.enqueue(db, job, to: peer, sender: "site", now: now)
        }
    }

    /// A pump on `clock`: tests that need a retry to fall due advance a manual clock that starts now.
    static func pump(_ database: ServiceDatabase, client: BusClient?, replyTimeout: Duration = .seconds(3),
                     clock: any ServiceClock = SystemClock()) -> OutboxPump {
        OutboxPump(database: database, clock: clock, logger: quietLogger, idleInterval: .milliseconds(100), maximumBackoff: 30,
                   replyTimeout: replyTimeout, client: { _ in client })
    }

    // MARK: Outbox

    @Test func enqueueWritesTheFrameInTheCallersTransaction() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try Self.senderDatabase(folder)
        let id = try await Self.enqueueJob(database)
        let rows = try await outboxRows(database)
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row.id == id.uuidString)
        #expect(row.peer == "ptm")
        #expect(row.type == TransferJob.wireName)
        #expect(row.attempts == 0)
        let envelope = try EnvelopeCodec.decode(row.frame)
        #expect(envelope.id == id)
        #expect(envelope.sender == "site")
        #expect(try envelope.decodeBody(TransferJob.self).jobID == TransferJob.example.jobID)
    }

    @Test func aRolledBackTransactionQueuesNothing() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try Self.senderDatabase(folder)
        await #expect(throws: TestFailure.self) {
            try await database.write { db in
                try Outbox.enqueue(db, TransferJob.example, to: "ptm", sender: "site", now: Date())
                throw TestFailure("the state change failed")
            }
        }
        #expect(try await outboxRows(database).isEmpty)
    }

    @Test func pendingIsOldestFirst() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = try Self.senderDatabase(folder)
        let ids = try await database.write { db in
            try [3.0, 1.0, 2.0].map { offset in
                try Outbox.enqueue(db, ShowContent(name: "n\(offset)"), to: "p", sender: "s",
                                   now: Date(timeIntervalSince1970: 1_000 + offset))
            }
        }
        let pending = try await outboxRows(database)
        #expect(pending.map(\.id) == [ids[1], ids[2], ids[0]].map(\.uuidString))
    }

    // MARK: Delivery

    @Test func deliversToARunningServerAndDeletesTheRow() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sender = try Self.senderDatabase(folder)
        let receiver = try makeEffectsDatabase(folder)
        let (server, endpoint) = try startServer(dispatcher: testDispatcher(database: receiver))
        defer { server.stop() }
        let client = makeClient(endpoint)
        defer { client.close() }

        let id = try await Self.enqueueJob(sender)
        let delivered = await Self.pump(sender, client: client).deliverDue()
        #expect(delivered == 1)
        #expect(try await outboxRows(sender).isEmpty)
        #expect(try await effectCount(receiver) == 1)
        let seen = try await receiver.read { db in try InboxRecord.contains(db, messageID: id) }
        #expect(seen)
        // Nothing left to do.
        #expect(await Self.pump(sender, client: client).deliverDue() == 0)
    }

    @Test func withTheServerDownTheRowStaysAndIsDeliveredOnceItComesUp() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sender = try Self.senderDatabase(folder)
        let receiver = try makeEffectsDatabase(folder)
        let reserved = try ReservedPort()
        let client = makeClient(reserved.endpoint)
        defer { client.close() }
        let clock = ManualClock(now: Date())
        let pump = Self.pump(sender, client: client, replyTimeout: .milliseconds(300), clock: clock)

        let id = try await Self.enqueueJob(sender, now: clock.now)
        let before = clock.now
        #expect(await pump.deliverDue() == 0)
        var rows = try await outboxRows(sender)
        #expect(rows.count == 1)
        #expect(rows.first?.attempts == 1)
        #expect(rows.first?.lastError?.isEmpty == false)
        #expect((rows.first?.nextAttemptAt ?? 0) > before.timeIntervalSince1970, "backed off")
        // Not due yet: a round just before its next attempt time does not send it.
        let dueAt = try #require(rows.first?.nextAttemptAt)
        clock.advance(to: Date(timeIntervalSince1970: dueAt - 0.01))
        #expect(await pump.deliverDue() == 0)
        rows = try await outboxRows(sender)
        #expect(rows.first?.attempts == 1)

        // A second failed attempt, forced due.
        clock.advance(by: .seconds(3600))
        #expect(await pump.deliverDue() == 0)
        rows = try await outboxRows(sender)
        #expect(rows.first?.attempts == 2)

        // The receiver starts on that endpoint; earlier attempts may still arrive there too.
        let (server, _) = try startServer(dispatcher: testDispatcher(database: receiver), endpoint: reserved.endpoint)
        defer { server.stop() }
        reserved.release()
        let deliveredEventually = await eventually(timeout: .seconds(10)) {
            clock.advance(by: .seconds(3600))
            return await pump.deliverDue() == 1
        }
        #expect(deliveredEventually)
        #expect(try await outboxRows(sender).isEmpty)
        // Give any queued copies of the earlier attempts time to land: still applied once.
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await effectCount(receiver) == 1)
        #expect(try await inboxCount(receiver) == 1)
        let seen = try await receiver.read { db in try InboxRecord.contains(db, messageID: id) }
        #expect(seen)
    }

    @Test func aFailureHoldsBackThatPeersLaterMessages() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sender = try Self.senderDatabase(folder)
        let reserved = try ReservedPort()
        defer { reserved.release() }
        let client = makeClient(reserved.endpoint)
        defer { client.close() }
        let first = try await Self.enqueueJob(sender)
        try await Task.sleep(for: .milliseconds(5))
        let second = try await Self.enqueueJob(sender)
        #expect(await Self.pump(sender, client: client, replyTimeout: .milliseconds(200)).deliverDue() == 0)
        let rows = try await outboxRows(sender)
        #expect(rows.map(\.id) == [first.uuidString, second.uuidString])
        #expect(rows.map(\.attempts) == [1, 0])
    }

    @Test func anUnknownPeerIsRetriedLater() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sender = try Self.senderDatabase(folder)
        _ = try await Self.enqueueJob(sender, to: "nobody")
        #expect(await Self.pump(sender, client: nil).deliverDue() == 0)
        let row = try #require(try await outboxRows(sender).first)
        #expect(row.attempts == 1)
        #expect(row.lastError?.contains("nobody") == true)
    }

    @Test func aRefusalKeepsTheRowWithTheReason() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sender = try Self.senderDatabase(folder)
        // This receiver handles no commands at all.
        let (server, endpoint) = try startServer(dispatcher: testDispatcher())
        defer { server.stop() }
        let client = makeClient(endpoint)
        defer { client.close() }
        _ = try await Self.enqueueJob(sender)
        #expect(await Self.pump(sender, client: client).deliverDue() == 0)
        let row = try #require(try await outboxRows(sender).first)
        #expect(row.attempts == 1)
        #expect(row.lastError?.contains(TransferJob.wireName) == true, "\(row.lastError ?? "nil")")
    }

    @Test func backoffGrowsWithAttempts() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sender = try Self.senderDatabase(folder)
        let clock = ManualClock(now: Date())
        _ = try await Self.enqueueJob(sender, to: "nobody", now: clock.now)
        let pump = Self.pump(sender, client: nil, clock: clock)
        var delays: [Double] = []
        for _ in 0..<4 {
            // Each round starts after the previous retry time, so the message is due.
            clock.advance(by: .seconds(3600))
            let now = clock.now
            await pump.deliverDue()
            let row = try #require(try await outboxRows(sender).first)
            delays.append(row.nextAttemptAt - now.timeIntervalSince1970)
        }
        #expect(delays == delays.sorted() && Set(delays).count == delays.count, "\(delays)")
        #expect(try #require(delays.first) > 0)
        #expect(try #require(delays.last) <= 30 + 1)
        #expect(try await outboxRows(sender).first?.attempts == 4)
    }

    @Test func runningPumpDeliversWhenWoken() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sender = try Self.senderDatabase(folder)
        let receiver = try makeEffectsDatabase(folder)
        let (server, endpoint) = try startServer(dispatcher: testDispatcher(database: receiver))
        defer { server.stop() }
        let client = makeClient(endpoint)
        defer { client.close() }
        let pump = OutboxPump(database: sender, clock: SystemClock(), logger: quietLogger, idleInterval: .seconds(30), client: { _ in client })
        let running = Task { try await pump.run() }
        defer { running.cancel() }
        // Let the first (empty) round pass, so only wake() can trigger the next.
        try await Task.sleep(for: .milliseconds(200))
        _ = try await Self.enqueueJob(sender)
        pump.wake()
        // Far below the 30 s idle interval, so only wake() can have delivered it.
        let emptied = try await eventually(timeout: .seconds(20)) { try await outboxRows(sender).isEmpty }
        #expect(emptied)
        #expect(try await effectCount(receiver) == 1)
    }

    @Test func aMessageTheReceiverCannotReadDoesNotBlockLaterOnes() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sender = try Self.senderDatabase(folder)
        let receiver = try makeEffectsDatabase(folder)
        let (server, endpoint) = try startServer(dispatcher: testDispatcher(database: receiver))
        defer { server.stop() }
        let client = makeClient(endpoint)
        defer { client.close() }

        // A command written by a sender whose schema differs: the receiver refuses it as missing-field.
        let poisonID = UUID()
        let good = try EnvelopeCodec.encode(TransferJob.example, id: poisonID, sender: "site", sentAt: Date())
        var object = try #require(try JSONSerialization.jsonObject(with: good) as? [String: Any])
        var body = try #require(object["body"] as? [String: Any])
        body.removeValue(forKey: "libraryURL")
        object["body"] = body
        let poison = try JSONSerialization.data(withJSONObject: object)
        try await sender.write { db in
            try OutboxMessage(id: poisonID, peer: "ptm", type: TransferJob.wireName, frame: poison,
                              now: Date().addingTimeInterval(-1)).insert(db)
        }
        let clock = ManualClock(now: Date())
        let laterID = try await Self.enqueueJob(sender, now: clock.now)

        let pump = Self.pump(sender, client: client, clock: clock)
        for _ in 0..<3 {
            clock.advance(by: .seconds(3600))
            await pump.deliverDue()
        }
        let poisonRow = try await sender.read { db in try OutboxMessage.fetchOne(db, key: poisonID.uuidString) }
        #expect(poisonRow != nil, "a refused message is kept")
        #expect(poisonRow?.lastError?.contains("libraryURL") == true, "\(poisonRow?.lastError ?? "nil")")
        let laterDelivered = try await receiver.read { db in try InboxRecord.contains(db, messageID: laterID) }
        #expect(laterDelivered, "the well-formed command behind it was never delivered")
        #expect(poisonRow?.attempts == 1, "refused as malformed yet retried")
    }
}
