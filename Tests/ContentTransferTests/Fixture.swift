import ContentStore
import Foundation

/// A temporary folder of its own per test: a source store holding one version (random
/// files of 150 KB, several chunks each) and an empty target store.
struct Fixture {
    let root: URL
    let source: ChunkStore
    let target: ChunkStore
    let versionID: String
    let chunks: [ChunkReference]

    init(files: Int = 4) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("content-transfer-\(UUID().uuidString)")
        let folder = root.appendingPathComponent("folder")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        for index in 0..<files {
            let bytes = (0..<150_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try Data(bytes).write(to: folder.appendingPathComponent("file\(index).bin"))
        }
        source = try ChunkStore(root: root.appendingPathComponent("source"))
        versionID = try FolderImporter(store: source).importFolder(at: folder).versionID
        target = try ChunkStore(root: root.appendingPathComponent("target"))
        chunks = try source.manifest(versionID).uniqueChunks
    }

    var totalBytes: Int64 { chunks.reduce(0) { $0 + Int64($1.size) } }

    func bytes(of chunks: some Sequence<ChunkReference>) -> Int64 { chunks.reduce(0) { $0 + Int64($1.size) } }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
