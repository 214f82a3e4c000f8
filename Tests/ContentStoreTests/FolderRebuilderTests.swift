import Foundation
import Testing
@testable import ContentStore

@Suite("FolderRebuilder")
struct FolderRebuilderTests {
    /// A source tree with every kind of entry the importer handles.
    static func makeSource(_ source: URL) throws {
        try writeFile("README", in: source, data: Data("hello\n".utf8))
        try writeFile("empty file", in: source, data: Data(), mode: 0o600)
        try writeFile("bin/run tool.sh", in: source, data: Data("#!/bin/sh\necho hi\n".utf8), mode: 0o755)
        try writeFile("data/Ünïcødé fïlé.bin", in: source, data: pseudoRandomData(count: 3_000_000, seed: 1), mode: 0o640)
        try writeFile("data/日本語/ファイル.txt", in: source, data: pseudoRandomData(count: 70_000, seed: 2), mode: 0o444)
        try writeFile("data/copy.bin", in: source, data: pseudoRandomData(count: 3_000_000, seed: 1))
        try makeFolder("empty folder", in: source)
        try makeFolder("private", in: source, mode: 0o700)
        try makeLink("data/link to readme", in: source, to: "../README")
        try makeLink("latest", in: source, to: "data")
    }

    @Test("import then rebuild reproduces the tree byte for byte, with modes, empty entries, unicode names and links")
    func roundTrip() throws {
        try withTemporaryFolder { folder in
            let source = folder.appendingPathComponent("source")
            try FolderRebuilderTests.makeSource(source)
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let imported = try FolderImporter(store: store).importFolder(at: source)
            let target = folder.appendingPathComponent("target/nested")
            let manifest = try store.manifest(imported.versionID)
            try FolderRebuilder(store: store).rebuild(manifest, into: target)
            let expected = try snapshot(of: source)
            let actual = try snapshot(of: target)
            #expect(expected.count == 13)
            #expect(actual == expected)
            for (path, item) in expected where actual[path] != item {
                Issue.record("\(path): expected \(item), got \(actual[path].map(\.description) ?? "nothing")")
            }
            // Re-importing the rebuilt tree gives the same version.
            #expect(try FolderImporter(store: store).importFolder(at: target).versionID == imported.versionID)
            // Rebuilding again over the existing tree works and changes nothing.
            try FolderRebuilder(store: store).rebuild(manifest, into: target)
            #expect(try snapshot(of: target) == expected)
        }
    }

    @Test("a corrupt chunk is reported by verify and makes rebuild throw without a file under its final name")
    func corruptChunk() throws {
        try withTemporaryFolder { folder in
            let source = folder.appendingPathComponent("source")
            try writeFile("big.bin", in: source, data: pseudoRandomData(count: 1_000_000, seed: 3))
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let result = try FolderImporter(store: store).importFolder(at: source)
            let victim = try #require(result.manifest.uniqueChunks.last).hash
            var bytes = try store.read(victim)
            bytes[bytes.count / 2] ^= 0xFF
            try bytes.write(to: store.chunkURL(victim))
            #expect(store.verify(result.manifest) == VerificationReport(missing: [], corrupt: [victim]))
            let target = folder.appendingPathComponent("target")
            #expect {
                try FolderRebuilder(store: store).rebuild(result.manifest, into: target)
            } throws: { error in
                guard case let .hashMismatch(expected, _)? = error as? ContentStoreError else { return false }
                return expected == victim
            }
            #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("big.bin").path))
            #expect(try FileManager.default.contentsOfDirectory(atPath: target.path).isEmpty)   // no temp file left
        }
    }

    @Test("a missing chunk makes rebuild throw missingChunk")
    func missingChunk() throws {
        try withTemporaryFolder { folder in
            let source = folder.appendingPathComponent("source")
            try writeFile("f.bin", in: source, data: pseudoRandomData(count: 200_000, seed: 4))
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let result = try FolderImporter(store: store).importFolder(at: source)
            let victim = try #require(result.manifest.uniqueChunks.first).hash
            try FileManager.default.removeItem(at: store.chunkURL(victim))
            #expect(store.verify(result.manifest).missing == [victim])
            #expect(throws: ContentStoreError.missingChunk(victim)) {
                try FolderRebuilder(store: store).rebuild(result.manifest, into: folder.appendingPathComponent("target"))
            }
        }
    }

    @Test("unsafe manifests are refused before anything is written")
    func unsafeManifest() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let target = folder.appendingPathComponent("a/target")
            let manifests = [
                Manifest(entries: [ManifestEntry(path: "ok", kind: .directory, mode: 0o755),
                                   ManifestEntry(path: "../escaped", kind: .directory, mode: 0o755)]),
                Manifest(entries: [ManifestEntry(path: "ok", kind: .directory, mode: 0o755),
                                   ManifestEntry(path: "out", kind: .symlink, mode: 0o777, linkTarget: "../../x")]),
                Manifest(entries: [ManifestEntry(path: "/tmp/abs", kind: .file, size: 0, mode: 0o644)]),
            ]
            for manifest in manifests {
                #expect(throws: ContentStoreError.self) { try FolderRebuilder(store: store).rebuild(manifest, into: target) }
            }
            #expect(!FileManager.default.fileExists(atPath: target.path))
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("a/escaped").path))
        }
    }

    @Test("an existing link in the target where a folder belongs is replaced, not followed")
    func existingLinkNotFollowed() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let outside = folder.appendingPathComponent("outside")
            try makeFolder("", in: outside)
            let target = folder.appendingPathComponent("target")
            try makeLink("sub", in: target, to: outside.path)
            let data = Data("payload".utf8)
            let hash = try store.write(data).hash
            let manifest = Manifest(entries: [ManifestEntry(path: "sub/file", kind: .file, size: Int64(data.count), mode: 0o644,
                                                            chunks: [ChunkReference(hash: hash, size: data.count)])])
            try FolderRebuilder(store: store).rebuild(manifest, into: target)
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
            #expect(try Data(contentsOf: target.appendingPathComponent("sub/file")) == data)
            #expect(try snapshot(of: target)["sub"]?.kind == "dir")
        }
    }

    @Test("rebuilding into a file is refused")
    func targetIsFile() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let file = try writeFile("file", in: folder, data: Data("x".utf8))
            #expect(throws: ContentStoreError.notADirectory(file.path)) {
                try FolderRebuilder(store: store).rebuild(Manifest(entries: []), into: file)
            }
        }
    }
}
