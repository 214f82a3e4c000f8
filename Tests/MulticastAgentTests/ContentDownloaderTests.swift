import Clocks
import ContentStore
import ContentTransfer
import Foundation
import HTTPTransfer
import Hummingbird
import Logging
import Messages
@testable import MulticastAgent
import ServiceLifecycle
import Synchronization
import Testing

/// Downloads over real HTTP (libcurl against a Hummingbird server on port 0) from a DP
/// stand-in whose chunk answers are held back a little, as over a WAN, so the requests a
/// downloader keeps in flight overlap and can be counted.
@Suite("ContentDownloader")
struct ContentDownloaderTests {
    /// A DP serving one store's manifests and chunks; it counts the chunk requests in flight
    /// and can serve one chunk corrupted or answer 404 for it.
    final class SlowDistributionPoint: Sendable {
        let store: ChunkStore
        let delay: Duration
        let corrupt: String?
        let absent: String?
        private let counts = Mutex((inFlight: 0, most: 0, served: 0))

        init(store: ChunkStore, delay: Duration = .milliseconds(150), corrupt: String? = nil, absent: String? = nil) {
            self.store = store
            self.delay = delay
            self.corrupt = corrupt
            self.absent = absent
        }

        var mostInFlight: Int { counts.withLock { $0.most } }
        var served: Int { counts.withLock { $0.served } }

        /// Runs the server while `body` gets its base URL.
        func serving(_ body: (String) async throws -> Void) async throws {
            let router = Router()
            router.get("/content/:version/manifest") { _, context -> Response in
                let data = try self.store.manifestData(context.parameters.get("version") ?? "")
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: data)))
            }
            router.get("/content/:version/chunks/:hash") { _, context -> Response in
                let hash = context.parameters.get("hash") ?? ""
                self.counts.withLock { $0.inFlight += 1; $0.most = max($0.most, $0.inFlight) }
                defer { self.counts.withLock { $0.inFlight -= 1; $0.served += 1 } }
                try await Task.sleep(for: self.delay)
                if hash == self.absent { return Response(status: .notFound) }
                var data = try self.store.read(hash)
                if hash == self.corrupt { data[data.startIndex] ^= 0xFF }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: data)))
            }
            try await MulticastAgentTests.serving(router, label: "test-dp", body)
        }
    }

    /// A source store holding one version of `files` files of 150 KB each (several chunks
    /// each), and an empty store to download into.
    static func stores(files: Int = 4) throws -> (source: ChunkStore, target: ChunkStore, version: String, root: URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("downloader-\(UUID().uuidString)")
        let folder = root.appendingPathComponent("folder")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        for index in 0..<files {
            let bytes = (0..<150_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try Data(bytes).write(to: folder.appendingPathComponent("file\(index).bin"))
        }
        let source = try ChunkStore(root: root.appendingPathComponent("source"))
        let version = try FolderImporter(store: source).importFolder(at: folder).versionID
        let target = try ChunkStore(root: root.appendingPathComponent("target"))
        return (source, target, version, root)
    }

    static func downloader(_ store: ChunkStore, parallel: Int) -> ContentDownloader {
        ContentDownloader(store: store, http: HTTPClient(), localAddress: "127.0.0.1", clock: SystemClock(), logger: Logger(label: "test"),
                          parallelRequests: parallel)
    }

    static func point(_ url: String) -> LocatedDistributionPoint {
        LocatedDistributionPoint(name: "dp1", httpURL: url, preferred: true, slow: false, boundaryGroups: [])
    }

    @Test("keeps the configured number of chunk requests in flight and stores every chunk verified")
    func overlapsRequests() async throws {
        // Six random 150 KB files make at least 8 chunks whatever the bytes (four sometimes made 7).
        let (source, target, version, root) = try Self.stores(files: 6)
        defer { try? FileManager.default.removeItem(at: root) }
        let chunks = try source.manifest(version).uniqueChunks
        #expect(chunks.count >= 8)
        let dp = SlowDistributionPoint(store: source)
        try await dp.serving { url in
            let result = try await Self.downloader(target, parallel: 4).download(versionID: version, from: [Self.point(url)], token: "t") { _, _, _ in }
            #expect(result.bytesFetched == chunks.reduce(0) { $0 + Int64($1.size) })
        }
        #expect(dp.mostInFlight == 4)
        #expect(target.missing(chunks.map(\.hash)).isEmpty)
        #expect(chunks.allSatisfy { target.isIntact($0.hash) })
    }

    @Test("one request at a time when parallelDownloads is 1")
    func oneAtATime() async throws {
        let (source, target, version, root) = try Self.stores(files: 2)
        defer { try? FileManager.default.removeItem(at: root) }
        let dp = SlowDistributionPoint(store: source, delay: .milliseconds(5))
        try await dp.serving { url in
            _ = try await Self.downloader(target, parallel: 1).download(versionID: version, from: [Self.point(url)], token: "t") { _, _, _ in }
        }
        #expect(dp.mostInFlight == 1)
        #expect(target.missing(try source.manifest(version).uniqueChunks.map(\.hash)).isEmpty)
    }

    @Test("a corrupt chunk fails the download, is not kept, and no further chunks are asked for")
    func corruptChunkFails() async throws {
        let (source, target, version, root) = try Self.stores(files: 6)
        defer { try? FileManager.default.removeItem(at: root) }
        let chunks = try source.manifest(version).uniqueChunks
        let bad = chunks[1].hash
        let dp = SlowDistributionPoint(store: source, corrupt: bad)
        try await dp.serving { url in
            await #expect(throws: ContentTransferError.self) {
                try await Self.downloader(target, parallel: 4).download(versionID: version, from: [Self.point(url)], token: "t") { _, _, _ in }
            }
        }
        #expect(!target.contains(bad))
        // The window was 4 wide when chunk 1 failed: the chunks after it were never asked for.
        #expect(dp.served < chunks.count)
    }

    @Test("a chunk the DP does not have fails the download with HTTP 404 named")
    func absentChunkFails() async throws {
        let (source, target, version, root) = try Self.stores(files: 2)
        defer { try? FileManager.default.removeItem(at: root) }
        let chunks = try source.manifest(version).uniqueChunks
        let dp = SlowDistributionPoint(store: source, delay: .milliseconds(5), absent: chunks.last?.hash)
        try await dp.serving { url in
            let error = await #expect(throws: ContentTransferError.self) {
                try await Self.downloader(target, parallel: 4).download(versionID: version, from: [Self.point(url)], token: "t") { _, _, _ in }
            }
            #expect(error?.description.contains("HTTP 404") == true)
        }
        #expect(target.missing(chunks.map(\.hash)).contains(try #require(chunks.last?.hash)))
    }
}
