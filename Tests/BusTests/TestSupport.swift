import Clocks
import Bus
import CZeroMQ
import Foundation
import GRDB
import Logging
import Messages
import Store
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Tests log nothing: a refused frame is an expected event here.
let quietLogger = Logger(label: "bus-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A unique temporary folder for one test; call `remove()` when done.
struct TemporaryFolder {
    let url: URL

    init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-bus-tests-\(safe)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: A receiver's database

/// A service database whose own migration creates `effects`, the table commands write to.
func makeEffectsDatabase(_ folder: TemporaryFolder, name: String = "receiver.sqlite") throws -> ServiceDatabase {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("effects-v1") { db in
        try db.create(table: "effects") { table in
            table.autoIncrementedPrimaryKey("rowid")
            table.column("messageID", .text).notNull()
            table.column("jobID", .text).notNull()
        }
    }
    return try ServiceDatabase(url: folder.file(name), migrator: migrator)
}

func effectCount(_ database: ServiceDatabase) async throws -> Int {
    try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM effects") ?? -1 }
}

func inboxCount(_ database: ServiceDatabase) async throws -> Int {
    try await database.read { db in try InboxRecord.fetchCount(db) }
}

func outboxRows(_ database: ServiceDatabase) async throws -> [OutboxMessage] {
    try await database.read { db in try Outbox.pending(db) }
}

/// Inserts one `effects` row for `job`.
@discardableResult
@Sendable func recordEffect(_ job: TransferJob, _ envelope: Envelope, _ db: Database) throws -> CommandEffect {
    try db.execute(sql: "INSERT INTO effects (messageID, jobID) VALUES (?, ?)",
                   arguments: [envelope.id.uuidString, job.jobID.uuidString])
    return .applied
}

// MARK: Servers and clients

/// A dispatcher that answers health queries and, with a database, applies transfer jobs once.
func testDispatcher(database: ServiceDatabase? = nil) -> BusDispatcher {
    var dispatcher = BusDispatcher(clock: SystemClock(), logger: quietLogger)
    // The mechanics under test are not who may send what: every role may.
    let everyone = Set(PeerRole.allCases)
    dispatcher.on(HealthQuery.self, allowedSenders: everyone) { _, _ in
        HealthReply(service: "test", node: "server", startedAt: Date(timeIntervalSince1970: 0),
                    busEndpoint: "tcp://127.0.0.1:0", httpURL: nil)
    }
    dispatcher.on(ShowContent.self, allowedSenders: everyone) { request, _ in
        switch request.name {
        case "missing": throw WireError(code: .notFound, message: "no content named 'missing'")
        case "boom": throw TestFailure("handler exploded")
        default:
            var content = ContentSummary.example
            content.name = request.name
            return ContentDetail(content: content, versions: [], targets: [])
        }
    }
    if let database {
        dispatcher.onCommand(TransferJob.self, database: database, apply: recordEffect)
    }
    return dispatcher
}

/// Starts a server on `endpoint` (port 0 by default); stop it with `server.stop()`.
/// The senders these tests use on an insecure bus (``makeClient(_:security:journal:node:)``
/// makes `client`; raw frames say `raw`, outbox rows `site`), all in the site's role.
func testClients() throws -> PeerDirectory {
    try PeerDirectory(["client", "site", "raw", "a", "s"].map { KnownPeer(node: $0, role: .site, publicKey: nil) })
}

/// A directory admitting `keys` as node `client` (the first) and `client2`… (the others), all as the site.
func testClients(keys: [CurveKeyPair]) throws -> PeerDirectory {
    try PeerDirectory(keys.enumerated().map { index, pair in
        KnownPeer(node: index == 0 ? "client" : "client\(index + 1)", role: .site, publicKey: pair.publicKey)
    })
}

func startServer(dispatcher: BusDispatcher = testDispatcher(), endpoint: String = "tcp://127.0.0.1:0",
                 security: BusServerSecurity? = nil, clients: PeerDirectory? = nil,
                 maximumFrameSize: Int = EnvelopeCodec.defaultMaximumFrameSize,
                 journal: Journal? = nil) throws -> (server: BusServer, endpoint: String) {
    let server = BusServer(node: "server", endpoint: endpoint, security: security, clients: try clients ?? testClients(), dispatcher: dispatcher,
                           maximumFrameSize: maximumFrameSize, journal: journal, logger: quietLogger)
    do {
        let bound = try server.start()
        return (server, bound)
    } catch {
        // A server whose start() failed blocks forever when released (see the report): never release it.
        KeepAlive.keep(server)
        throw error
    }
}

func makeClient(_ endpoint: String, security: BusClientSecurity? = nil, journal: Journal? = nil, node: String = "client") -> BusClient {
    BusClient(node: node, peer: "server", endpoint: endpoint, security: security, journal: journal, clock: SystemClock(), logger: quietLogger)
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A loopback TCP port that nothing listens on while the returned holder is open.
///
/// The port is bound (so no other test's port-0 bind gets it) but not listening, so
/// connections to it are refused. A BusServer may bind it while it is held; `release()` then.
final class ReservedPort {
    let port: Int
    private var descriptor: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        // libzmq's listener sets SO_REUSEADDR too, so a server can bind this port while it is still held:
        // the port is never free for another socket (or a reconnecting client's own source port) to take.
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            close(fd)
            throw TestFailure("could not reserve a port")
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    var endpoint: String { "tcp://127.0.0.1:\(port)" }

    func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    deinit { release() }
}

// MARK: A raw ZeroMQ DEALER

/// A DEALER made with libzmq's C API, so tests can send frames no BusClient would.
final class RawDealer {
    private let context: UnsafeMutableRawPointer
    private let socket: UnsafeMutableRawPointer

    init(endpoint: String) throws {
        guard let context = zmq_ctx_new() else { throw TestFailure("zmq_ctx_new failed") }
        guard let socket = zmq_socket(context, ZMQ_DEALER) else {
            zmq_ctx_term(context)
            throw TestFailure("zmq_socket failed")
        }
        self.context = context
        self.socket = socket
        var linger: Int32 = 0
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        guard zmq_connect(socket, endpoint) == 0 else {
            throw TestFailure("zmq_connect failed: \(String(cString: zmq_strerror(zmq_errno())))")
        }
    }

    /// Sends one message made of `frames`.
    func send(_ frames: [Data]) throws {
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            let result = frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags) }
            guard result >= 0 else { throw TestFailure("zmq_send failed: \(String(cString: zmq_strerror(zmq_errno())))") }
        }
    }

    func send(_ frame: Data) throws { try send([frame]) }

    /// The last frame of the next message, or nil when none arrives in time. Never blocks a thread.
    func receive(timeout: Duration = .seconds(5)) async -> Data? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var message = zmq_msg_t()
        // One last look after the deadline: a starved test task may wake only after it.
        var lastLook = false
        while !lastLook {
            lastLook = clock.now >= deadline
            var frames: [Data] = []
            while true {
                zmq_msg_init(&message)
                defer { zmq_msg_close(&message) }
                let size = zmq_msg_recv(&message, socket, frames.isEmpty ? ZMQ_DONTWAIT : 0)
                if size < 0 { break }
                frames.append(Data(bytes: zmq_msg_data(&message), count: Int(size)))
                if zmq_msg_more(&message) == 0 { return frames.last }
            }
            if lastLook { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func close() {
        zmq_close(socket)
        zmq_ctx_term(context)
    }
}

/// The Ack in a reply envelope; an ErrorReply or any other type fails.
func ack(_ envelope: Envelope) throws -> Ack {
    if envelope.type == ErrorReply.wireName {
        let refusal = try envelope.decodeBody(ErrorReply.self)
        throw TestFailure("refused: \(refusal.code.rawValue): \(refusal.message)")
    }
    return try envelope.decodeBody(Ack.self)
}

/// Decodes a reply frame that must be an ErrorReply.
func errorReply(_ frame: Data?) throws -> (reply: ErrorReply, envelope: Envelope) {
    let frame = try #require(frame, "no reply arrived")
    let envelope = try EnvelopeCodec.decode(frame)
    #expect(envelope.type == ErrorReply.wireName)
    return (try envelope.decodeBody(ErrorReply.self), envelope)
}

/// Objects deliberately kept alive until the process exits.
enum KeepAlive {
    private static let objects = Mutex<[ObjectIdentifier: Holder]>([:])

    final class Holder: @unchecked Sendable {
        let object: AnyObject
        init(_ object: AnyObject) { self.object = object }
    }

    static func keep(_ object: AnyObject) {
        let holder = Holder(object)
        objects.withLock { $0[ObjectIdentifier(object)] = holder }
    }
}

/// A value set once from another task.
final class Outcome<T: Sendable>: Sendable {
    private let value = Mutex<T?>(nil)
    func set(_ newValue: T) { value.withLock { $0 = newValue } }
    var current: T? { value.withLock { $0 } }
}

/// Runs `operation` in an unstructured task and returns its result if it finished within
/// `timeout`, or nil if it did not.
///
/// Used where a bug makes a call hang forever: the hung task is left behind rather than
/// blocking the test.
func finishes<T: Sendable>(within timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async -> Result<T, any Error>? {
    let outcome = Outcome<Result<T, any Error>>()
    Task {
        do {
            outcome.set(.success(try await operation()))
        } catch {
            outcome.set(.failure(error))
        }
    }
    _ = await eventually(timeout: timeout) { outcome.current != nil }
    return outcome.current
}
