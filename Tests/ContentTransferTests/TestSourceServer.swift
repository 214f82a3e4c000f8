import ContentStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A real HTTP server (Hummingbird, 127.0.0.1, port 0) serving one store the way DPs, peer
/// caches and the site library do, on the wire paths spelled out here as literals (so the
/// tests also pin the paths). It answers chunk requests after `delay`, counts the requests
/// in flight, records every request, and can serve chunks corrupted or answer 404.
final class TestSourceServer: Sendable {
    struct Behaviour: Sendable {
        var delay: Duration = .milliseconds(5)
        var corrupt: Set<String> = []
        var absent: Set<String> = []
        var corruptManifest = false
        /// Served at `/content/V/have` when set ("1"/"0" per unique chunk).
        var haveList: String?
    }

    struct Record: Sendable {
        var path: String
        var authorization: String?
    }

    let store: ChunkStore
    let behaviour: Behaviour
    private let state = Mutex((inFlight: 0, most: 0, records: [Record]()))

    init(store: ChunkStore, _ behaviour: Behaviour = Behaviour()) {
        self.store = store
        self.behaviour = behaviour
    }

    var mostInFlight: Int { state.withLock { $0.most } }
    var records: [Record] { state.withLock { $0.records } }
    /// The chunk hashes asked for, in the order asked.
    var chunksAsked: [String] {
        records.compactMap { record in record.path.contains("/chunks/") ? record.path.components(separatedBy: "/").last : nil }
    }

    /// Runs the server while `body` gets its base URL; stops it afterwards, also when `body` throws.
    func serving(_ body: (String) async throws -> Void) async throws {
        let router = Router()
        router.get("/content/:version/manifest") { request, context in try self.manifest(request, context) }
        router.get("/library/manifests/:version") { request, context in try self.manifest(request, context) }
        router.get("/content/:version/chunks/:hash") { request, context in try await self.chunk(request, context) }
        router.get("/library/chunks/:hash") { request, context in try await self.chunk(request, context) }
        router.get("/content/:version/have") { request, _ -> Response in
            self.record(request)
            guard let list = self.behaviour.haveList else { return Response(status: .notFound) }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: list)))
        }
        let port = AsyncStream<Int>.makeStream()
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                      onServerRunning: { port.continuation.yield($0.localAddress?.port ?? 0) },
                                      logger: Logger(label: "test-source"))
        let group = ServiceGroup(configuration: .init(services: [application], logger: Logger(label: "test-source")))
        let running = Task { try await group.run() }
        var ports = port.stream.makeAsyncIterator()
        let bound = try #require(await ports.next())
        let outcome = await Result(catching: { try await body("http://127.0.0.1:\(bound)") })
        await group.triggerGracefulShutdown()
        try await running.value
        try outcome.get()
    }

    private func record(_ request: Request) {
        state.withLock { $0.records.append(Record(path: request.uri.path, authorization: request.headers[.authorization])) }
    }

    private func manifest(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        record(request)
        var data = try store.manifestData(context.parameters.get("version") ?? "")
        if behaviour.corruptManifest { data.append(UInt8(ascii: " ")) }
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func chunk(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        record(request)
        let hash = context.parameters.get("hash") ?? ""
        state.withLock { $0.inFlight += 1; $0.most = max($0.most, $0.inFlight) }
        defer { state.withLock { $0.inFlight -= 1 } }
        try await Task.sleep(for: behaviour.delay)
        if behaviour.absent.contains(hash) { return Response(status: .notFound) }
        var data = try store.read(hash)
        if behaviour.corrupt.contains(hash) { data[data.startIndex] ^= 0xFF }
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Result where Failure == any Error {
    /// The outcome of `body`, so cleanup runs before an error is thrown on.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
