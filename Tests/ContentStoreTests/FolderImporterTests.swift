#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
@testable import ContentStore

@Suite("FolderImporter")
struct FolderImporterTests {
    @Test("records files, empty files, folders, empty folders, modes and inside links")
    func entries() throws {
        try withTemporaryFolder { folder in
            let source = folder.appendingPathComponent("source")
            let big = pseudoRandomData(count: 1_000_000, seed: 1)
            try writeFile("bin/tool", in: source, data: big, mode: 0o755)
            try writeFile("empty.txt", in: source, data: Data(), mode: 0o600)
            try makeFolder("empty folder", in: source)
            try makeLink("bin/tool-link", in: source, to: "tool")
            try makeLink("top-link", in: source, to: "bin/../empty.txt")
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let result = try FolderImporter(store: store).importFolder(at: source)
            let byPath = Dictionary(uniqueKeysWithValues: result.manifest.entries.map { ($0.path, $0) })
            #expect(result.manifest.entries.map(\.path) == ["bin", "bin/tool", "bin/tool-link", "empty folder", "empty.txt", "top-link"])
            #expect(byPath["bin"]?.kind == .directory)
            #expect(byPath["empty folder"]?.kind == .directory)
            #expect(byPath["bin/tool"]?.size == Int64(big.count))
            #expect(byPath["bin/tool"]?.mode == 0o755)
            #expect(byPath["empty.txt"]?.mode == 0o600)
            #expect(byPath["empty.txt"]?.size == 0)
            #expect(byPath["empty.txt"]?.chunks.isEmpty == true)
            #expect(byPath["bin/tool-link"]?.kind == .symlink)
            #expect(byPath["bin/tool-link"]?.linkTarget == "tool")
            #expect(byPath["top-link"]?.linkTarget == "bin/../empty.txt")
            #expect(result.totalBytes == Int64(big.count))
            #expect(result.versionID == (try result.manifest.versionID()))
            #expect(store.hasManifest(result.versionID))
            #expect(store.verify(result.manifest).isComplete)
            #expect(result.newChunks == result.manifest.uniqueChunks.count)
            #expect(result.newBytes == Int64(big.count))
        }
    }

    @Test("single instance: a file shared by two folders is stored once; re-importing stores nothing")
    func singleInstance() throws {
        try withTemporaryFolder { folder in
            let shared = pseudoRandomData(count: 3_000_000, seed: 2)
            let a = folder.appendingPathComponent("a"), b = folder.appendingPathComponent("b")
            try writeFile("shared.bin", in: a, data: shared)
            try writeFile("only-a.txt", in: a, data: pseudoRandomData(count: 200_000, seed: 3))
            try writeFile("elsewhere/shared copy.bin", in: b, data: shared)
            try writeFile("only-b.txt", in: b, data: pseudoRandomData(count: 200_000, seed: 4))
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let importer = FolderImporter(store: store)
            let first = try importer.importFolder(at: a)
            let sharedChunks = first.manifest.entries.first { $0.path == "shared.bin" }?.chunks.count ?? 0
            #expect(sharedChunks > 10)
            let second = try importer.importFolder(at: b)
            #expect(second.reusedChunks >= sharedChunks)
            #expect(second.newBytes == 200_000)
            let union = Set(first.manifest.uniqueChunks.map(\.hash)).union(second.manifest.uniqueChunks.map(\.hash))
            #expect(try store.chunkCount() == union.count)
            #expect(try store.storedBytes() == Int64(shared.count + 400_000))

            let again = try importer.importFolder(at: a)
            #expect(again.newChunks == 0)
            #expect(again.newBytes == 0)
            #expect(again.versionID == first.versionID)
            #expect(again.reusedChunks == first.newChunks + first.reusedChunks)
        }
    }

    @Test("links leading out of the root are refused before anything is stored", arguments: [
        "../../outside", "../../../etc/passwd", "/etc/passwd", "../sub/../..", "../up/..", "..\\..\\x",
    ])
    func linkOut(target: String) throws {
        try withTemporaryFolder { folder in
            let source = folder.appendingPathComponent("source")
            try writeFile("sub/data.bin", in: source, data: pseudoRandomData(count: 100_000, seed: 5))
            try makeLink("up", in: source, to: ".")
            try makeLink("sub/escape", in: source, to: target)
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            #expect {
                try FolderImporter(store: store).importFolder(at: source)
            } throws: { error in
                guard case let .unsafePath(path, _)? = error as? ContentStoreError else { return false }
                return path == "sub/escape"
            }
            #expect(try store.chunkCount() == 0)
            #expect(try store.manifestIDs().isEmpty)
        }
    }

    @Test("a missing root or a file as root is not a directory")
    func badRoot() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let missing = folder.appendingPathComponent("missing")
            #expect(throws: ContentStoreError.notADirectory(missing.path)) {
                try FolderImporter(store: store).importFolder(at: missing)
            }
            let file = try writeFile("file", in: folder, data: Data("x".utf8))
            #expect(throws: ContentStoreError.notADirectory(file.path)) {
                try FolderImporter(store: store).importFolder(at: file)
            }
        }
    }

    @Test("names are NFC-normalised; two names equal after normalisation are refused")
    func unicodeNames() throws {
        try withTemporaryFolder { folder in
            let source = folder.appendingPathComponent("source")
            try writeFile("cafe\u{301} menu.txt", in: source, data: Data("nfd".utf8))
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let result = try FolderImporter(store: store).importFolder(at: source)
            #expect(result.manifest.entries.map { Array($0.path.unicodeScalars) } == [Array("caf\u{e9} menu.txt".unicodeScalars)])
            try writeFile("caf\u{e9} menu.txt", in: source, data: Data("nfc".utf8))
            #expect(throws: ContentStoreError.self) { try FolderImporter(store: store).importFolder(at: source) }
        }
    }

    @Test("a FIFO is refused")
    func fifo() throws {
        try withTemporaryFolder { folder in
            let source = folder.appendingPathComponent("source")
            try makeFolder("", in: source)
            #expect(mkfifo(source.path + "/pipe", 0o644) == 0)
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            #expect(throws: ContentStoreError.self) { try FolderImporter(store: store).importFolder(at: source) }
        }
    }

    @Test("a failing chunk write is reported, not swallowed")
    func writeFailure() throws {
        try withTemporaryFolder { folder in
            let source = folder.appendingPathComponent("source")
            try writeFile("a.bin", in: source, data: pseudoRandomData(count: 2_000_000, seed: 9))
            let storeRoot = folder.appendingPathComponent("store")
            let store = try ChunkStore(root: storeRoot)
            // Replace the store's tmp folder by a file: every chunk write now fails.
            try FileManager.default.removeItem(at: storeRoot.appendingPathComponent("tmp"))
            try writeFile("tmp", in: storeRoot, data: Data())
            #expect {
                try FolderImporter(store: store).importFolder(at: source)
            } throws: { error in
                guard case let .io(message)? = error as? ContentStoreError else { return false }
                return message.contains("/tmp/")
            }
            #expect(try store.chunkCount() == 0)
            #expect(try store.manifestIDs().isEmpty)
        }
    }

    @Test("invalid chunking parameters are refused")
    func invalidParameters() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let importer = FolderImporter(store: store, parameters: ChunkingParameters(minimumSize: 1, averageSize: 2, maximumSize: 3))
            #expect(throws: ChunkingParametersError.self) { try importer.importFolder(at: folder) }
        }
    }

    @Test("progress reports cumulative bytes, rising, ending at the total")
    func progress() throws {
        try withTemporaryFolder { folder in
            let source = folder.appendingPathComponent("source")
            try writeFile("a.bin", in: source, data: pseudoRandomData(count: 9_000_000, seed: 6))
            try writeFile("b.bin", in: source, data: pseudoRandomData(count: 5_000_000, seed: 7))
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let reports = Reports()
            let result = try FolderImporter(store: store).importFolder(at: source) { reports.append($0) }
            let values = reports.values
            #expect(values.count >= 3 && values.count <= 5, "\(values)")
            #expect(values == values.sorted())
            #expect(values.last == result.totalBytes)
            #expect(result.totalBytes == 14_000_000)
        }
    }

    @Test("a large file streams through with the right chunks and size")
    func largeFile() throws {
        try withTemporaryFolder { folder in
            let source = folder.appendingPathComponent("source")
            try makeFolder("", in: source)
            let url = source.appendingPathComponent("large.img")
            #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
            let handle = try FileHandle(forWritingTo: url)
            let block = pseudoRandomData(count: 4 * 1024 * 1024, seed: 8)
            let blocks = FolderImporterTests.largeFileMiB / 4
            for index in 0..<blocks {
                // Repeat one random block with a distinct header, plus zero blocks, so the file is part unique, part shared.
                var piece = index % 4 == 3 ? Data(count: block.count) : block
                piece.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(index)) { Data($0) })
                try handle.write(contentsOf: piece)
            }
            try handle.close()
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let result = try FolderImporter(store: store).importFolder(at: source)
            let size = Int64(FolderImporterTests.largeFileMiB) * 1024 * 1024
            #expect(result.totalBytes == size)
            #expect(result.manifest.entries.first?.chunks.reduce(0) { $0 + Int64($1.size) } == size)
            #expect(result.newBytes < size)   // repeated content is stored once
            #expect(result.reusedChunks > 0)
        }
    }

    static let largeFileMiB = 300

    /// Overwrites 4 bytes in the middle of `url` in place (same size), after a pause so the
    /// file's timestamps surely move on.
    private static func scribble(_ url: URL, _ value: UInt8) {
        usleep(20_000)
        let fd = open(url.path, O_WRONLY)
        guard fd >= 0 else { return }
        let bytes = [UInt8](repeating: value, count: 4)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4, 6_000_000) }
        close(fd)
    }

    @Test("Issue 14 item 4: a file rewritten on every read fails the import naming it, and no version is stored")
    func tornFileFails() throws {
        try withTemporaryFolder { folder in
            let source = folder.appendingPathComponent("source")
            let file = try writeFile("disk.img", in: source, data: pseudoRandomData(count: 13_000_000, seed: 31))
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let writes = Counter()
            #expect {
                _ = try FolderImporter(store: store).importFolder(at: source) { _ in
                    writes.increment()
                    Self.scribble(file, UInt8(truncatingIfNeeded: writes.value))
                }
            } throws: { error in
                guard case ContentStoreError.sourceChanged(let path) = error else { return false }
                return path.hasSuffix("source/disk.img") && "\(error)".contains("disk.img") && "\(error)".contains("changed while it was read")
            }
            #expect(writes.value >= 2, "the file was read again before the import gave up")
            let manifests = (try? FileManager.default.contentsOfDirectory(atPath: store.root.appendingPathComponent("manifests").path)) ?? []
            #expect(manifests.isEmpty)
        }
    }

    @Test("Issue 14 item 4: a file rewritten once while it is read is read again; the version matches its new bytes")
    func tornFileRetried() throws {
        try withTemporaryFolder { folder in
            let source = folder.appendingPathComponent("source")
            let file = try writeFile("disk.img", in: source, data: pseudoRandomData(count: 13_000_000, seed: 32))
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let writes = Counter()
            let result = try FolderImporter(store: store).importFolder(at: source) { _ in
                if writes.value == 0 { Self.scribble(file, 0xAB) }
                writes.increment()
            }
            let now = try Data(contentsOf: file)
            #expect(now[6_000_000] == 0xAB)
            let entry = try #require(result.manifest.entries.first { $0.path == "disk.img" })
            var rebuilt = Data()
            for chunk in entry.chunks { rebuilt.append(try store.read(chunk.hash)) }
            #expect(rebuilt == now, "the stored version is the file's bytes after the change, not a mix")
            #expect(entry.size == Int64(now.count))
        }
    }

}

final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int64] = []
    func append(_ value: Int64) { lock.withLock { list.append(value) } }
    var values: [Int64] { lock.withLock { list } }
}

