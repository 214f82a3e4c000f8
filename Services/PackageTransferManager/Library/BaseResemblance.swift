import ContentStore
import ContentTransfer
import Delta
import Foundation

/// The sketches of a differential base's files, built the first time a new chunk of a file
/// finds nothing useful at its own place (SPEC C3): the file's old chunks are read from the
/// library once per job, sketched, and dropped; only the sketches stay.
actor BaseResemblance {
    private var files: [String: ChunkResemblance] = [:]
    private let read: @Sendable ([String]) async throws -> [String: Data]

    /// - Parameter read: base chunks by hash from the library (those it lacks left out).
    init(read: @escaping @Sendable ([String]) async throws -> [String: Data]) {
        self.read = read
    }

    /// The old chunks of `path` most like `chunk`, with their neighbours, at most `budget` bytes.
    func references(for chunk: Data, file path: String, chunks: [ChunkReference], budget: Int) async throws -> [String] {
        try await index(path, chunks).references(similarTo: chunk, in: chunks, budget: budget)
    }

    private func index(_ path: String, _ chunks: [ChunkReference]) async throws -> ChunkResemblance {
        if let known = files[path] { return known }
        var index = ChunkResemblance()
        var seen = Set<String>()
        let unique = chunks.filter { seen.insert($0.hash).inserted }
        // About 4 MiB per library request, the bytes dropped once sketched.
        var start = 0
        while start < unique.count {
            var end = start
            var bytes = 0
            while end < unique.count, end - start < ChunkBatch.maximumRequestHashes, bytes < 4 << 20 {
                bytes += unique[end].size
                end += 1
            }
            let received = try await read(unique[start..<end].map(\.hash))
            for chunk in unique[start..<end] {
                if let data = received[chunk.hash] { index.add(chunk.hash, sketch: ChunkResemblance.sketch(data)) }
            }
            start = end
        }
        files[path] = index
        return index
    }
}
