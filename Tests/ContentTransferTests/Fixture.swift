import ContentStore
import Foundation

/// A temporary folder of its own per test: a source store holding one version and an empty
/// target store. The version's files are 150 KB each (several chunks each) of bytes that
/// are random to the chunker but differ from test to test.
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
        for (index, contents) in Self.files(files).enumerated() {
            try contents.write(to: folder.appendingPathComponent("file\(index).bin"))
        }
        source = try ChunkStore(root: root.appendingPathComponent("source"))
        versionID = try FolderImporter(store: source).importFolder(at: folder).versionID
        target = try ChunkStore(root: root.appendingPathComponent("target"))
        chunks = try source.manifest(versionID).uniqueChunks
    }

    /// `count` buffers of 150,000 random bytes, drawn 8 at a time.
    static func files(_ count: Int) -> [Data] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in
            var data = Data(capacity: 150_000)
            while data.count < 150_000 { withUnsafeBytes(of: generator.next()) { data.append(contentsOf: $0) } }
            return data.prefix(150_000)
        }
    }

    var totalBytes: Int64 { chunks.reduce(0) { $0 + Int64($1.size) } }

    func bytes(of chunks: some Sequence<ChunkReference>) -> Int64 { chunks.reduce(0) { $0 + Int64($1.size) } }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
