import Clocks
import ContentStore
import ContentTransfer
import Foundation

/// Fetches a few hundred chunks through ``ChunkFetcher`` from an in-memory source, 4 in
/// flight, and checks every one arrived intact. `make test` builds and runs it in release:
/// Swift 6.3.1 miscompiled an earlier fetcher in release builds only (every agent download
/// crashed on its first chunks), which the debug-built tests never saw.
@main
struct FetchSmoke {
    static func main() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-fetch-smoke-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try ChunkStore(root: folder)
        var chunks: [ChunkReference] = []
        var data: [String: Data] = [:]
        for index in 0..<400 {
            let bytes = Data((0..<(1_000 + index * 37)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })
            let hash = ContentHash.sha256Hex(bytes)
            chunks.append(ChunkReference(hash: hash, size: bytes.count))
            data[hash] = bytes
        }
        let source = MemorySource(chunks: data)
        let report = try await ChunkFetcher(requestsInFlight: 4, clock: SystemClock())
            .fetch(chunks, of: String(repeating: "ab", count: 32), from: [source], into: store, whenAChunkFails: .abandonSource)
        let intact = chunks.filter { store.isIntact($0.hash) }.count
        guard report.chunksFetched == chunks.count, intact == chunks.count else {
            print("fetch-smoke: FAILED: fetched \(report.chunksFetched), intact \(intact) of \(chunks.count)")
            exit(1)
        }
        print("fetch-smoke: \(chunks.count) chunks fetched 4 in flight and verified")
    }
}

/// A source that answers from memory after a short pause, as a DP over a network would.
struct MemorySource: ContentSource {
    let chunks: [String: Data]
    var id: ContentSourceID { ContentSourceID(kind: .distributionPoint, name: "memory") }

    func manifestData(of versionID: String) async throws -> Data? { nil }

    func chunkData(_ hash: String, of versionID: String) async throws -> Data? {
        try await Task.sleep(for: .microseconds(200))
        return chunks[hash]
    }

    func heldChunks(of versionID: String, among chunks: [ChunkReference]) async -> Set<String>? { nil }
}
