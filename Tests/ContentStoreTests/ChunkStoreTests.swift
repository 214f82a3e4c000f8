import Foundation
import Testing
@testable import ContentStore

@Suite("ChunkStore")
struct ChunkStoreTests {
    @Test("write, read, contains, layout and counts")
    func roundTrip() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let data = pseudoRandomData(count: 70_000, seed: 1)
            let (hash, newlyStored) = try store.write(data)
            #expect(newlyStored)
            #expect(hash == ContentHash.sha256Hex(data))
            #expect(store.contains(hash))
            #expect(try store.read(hash) == data)
            #expect(try store.readVerified(hash) == data)
            #expect(store.chunkURL(hash).path == store.root.path + "/chunks/" + hash.prefix(2) + "/" + hash)
            #expect(FileManager.default.fileExists(atPath: store.chunkURL(hash).path))
            #expect(try store.write(data).newlyStored == false)
            #expect(try store.write(data, expectedHash: hash) == false)
            let other = Data("second".utf8)
            #expect(try store.write(other, expectedHash: ContentHash.sha256Hex(other)))
            #expect(try store.chunkCount() == 2)
            #expect(try store.storedBytes() == Int64(data.count + other.count))
            // Nothing is left behind in tmp.
            #expect(try FileManager.default.contentsOfDirectory(atPath: store.root.path + "/tmp").isEmpty)
        }
    }

    @Test("a hash mismatch on write stores nothing")
    func mismatchStoresNothing() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder)
            let data = Data("payload".utf8)
            let claimed = ContentHash.sha256Hex(Data("something else".utf8))
            #expect(throws: ContentStoreError.hashMismatch(expected: claimed, actual: ContentHash.sha256Hex(data))) {
                try store.write(data, expectedHash: claimed)
            }
            #expect(!store.contains(claimed))
            #expect(!store.contains(ContentHash.sha256Hex(data)))
            #expect(try store.chunkCount() == 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/tmp").isEmpty)
        }
    }

    @Test("invalid and missing hashes")
    func invalidAndMissing() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder)
            #expect(throws: ContentStoreError.invalidHash("../../etc/passwd")) { try store.read("../../etc/passwd") }
            #expect(throws: ContentStoreError.invalidHash("ABC")) { try store.write(Data(), expectedHash: "ABC") }
            #expect(throws: ContentStoreError.missingChunk(sampleHashA)) { try store.read(sampleHashA) }
            #expect(!store.contains("../../etc/passwd"))
            #expect(!store.chunkURL("../../x").path.contains(".."))
            let stored = try store.write(Data("x".utf8)).hash
            #expect(store.missing([sampleHashA, stored, sampleHashB, sampleHashA, "bad"]) == [sampleHashA, sampleHashB, "bad"])
            #expect(store.missing([stored]).isEmpty)
        }
    }

    @Test("a corrupt chunk is found by isIntact and verify; a missing one is reported missing")
    func corruption() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder)
            let good = try store.write(Data("good".utf8)).hash
            let bad = try store.write(Data("bad".utf8)).hash
            try Data("BAD".utf8).write(to: store.chunkURL(bad))
            #expect(store.isIntact(good))
            #expect(!store.isIntact(bad))
            #expect(!store.isIntact(sampleHashC))
            #expect(throws: ContentStoreError.self) { try store.readVerified(bad) }
            let manifest = Manifest(entries: [
                ManifestEntry(path: "f", kind: .file, size: 10, mode: 0o644, chunks: [
                    ChunkReference(hash: good, size: 4), ChunkReference(hash: bad, size: 3), ChunkReference(hash: sampleHashC, size: 3),
                ]),
            ])
            let report = store.verify(manifest)
            #expect(report == VerificationReport(missing: [sampleHashC], corrupt: [bad]))
            #expect(!report.isComplete)
            #expect(store.verify(Manifest(entries: [ManifestEntry(path: "g", kind: .file, size: 4, mode: 0o644,
                                                                   chunks: [ChunkReference(hash: good, size: 4)])])).isComplete)
        }
    }

    @Test("manifests are stored by version id and read back")
    func manifests() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder)
            let manifest = ManifestTests.sample()
            let data = try manifest.canonicalData()
            let id = try manifest.versionID()
            #expect(!store.hasManifest(id))
            try store.storeManifest(data, versionID: id)
            try store.storeManifest(data, versionID: id)   // idempotent
            #expect(store.hasManifest(id))
            #expect(try store.manifestData(id) == data)
            #expect(try store.manifest(id) == manifest)
            #expect(try store.manifestIDs() == [id])
            #expect(FileManager.default.fileExists(atPath: folder.path + "/manifests/\(id).json"))
            #expect(try store.storeManifest(manifest) == id)
        }
    }

    @Test("storeManifest refuses a wrong version id and a manifest containing ../x")
    func manifestRefusals() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder)
            let data = try ManifestTests.sample().canonicalData()
            #expect(throws: ContentStoreError.hashMismatch(expected: sampleHashA, actual: ContentHash.sha256Hex(data))) {
                try store.storeManifest(data, versionID: sampleHashA)
            }
            #expect(!store.hasManifest(sampleHashA))
            let evil = ManifestTests.json(path: "../x")
            let evilID = ContentHash.sha256Hex(evil)
            #expect {
                try store.storeManifest(evil, versionID: evilID)
            } throws: { error in
                guard case .unsafePath("../x", _)? = error as? ContentStoreError else { return false }
                return true
            }
            #expect(!store.hasManifest(evilID))
            #expect(throws: ContentStoreError.invalidHash("nope")) { try store.storeManifest(data, versionID: "nope") }
            #expect(throws: ContentStoreError.self) { try store.manifestData(sampleHashB) }
            #expect(try store.manifestIDs().isEmpty)
        }
    }

    @Test("a manifest corrupted on disk is refused when read")
    func corruptManifest() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder)
            let id = try store.storeManifest(ManifestTests.sample())
            try Data(#"{"entries":[],"formatVersion":1}"#.utf8).write(to: folder.appendingPathComponent("manifests/\(id).json"))
            #expect(throws: ContentStoreError.self) { try store.manifest(id) }
        }
    }

    @Test("a root that is a file is refused")
    func rootIsFile() throws {
        try withTemporaryFolder { folder in
            let file = try writeFile("file", in: folder, data: Data("x".utf8))
            #expect(throws: ContentStoreError.self) { try ChunkStore(root: file) }
        }
    }

    @Test("concurrent writers of the same and different chunks leave one intact copy each")
    func concurrentWrites() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder)
            let chunks = (0..<8).map { pseudoRandomData(count: 50_000, seed: UInt64($0)) }
            let failures = Counter()
            DispatchQueue.concurrentPerform(iterations: 64) { index in
                do { _ = try store.write(chunks[index % chunks.count]) } catch { failures.increment() }
            }
            #expect(failures.value == 0)
            #expect(try store.chunkCount() == chunks.count)
            for chunk in chunks { #expect(store.isIntact(ContentHash.sha256Hex(chunk))) }
        }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

// Issue 15 item 1: the sweep of interrupted writes takes its time from the caller (the service clock).
@Suite("ChunkStore temporary files")
struct ChunkStoreTemporaryFileTests {
    @Test func onlyFilesADayOlderThanTheGivenTimeAreRemoved() throws {
        try withTemporaryFolder { folder in
            let store = try ChunkStore(root: folder.appendingPathComponent("store"))
            let temporary = folder.appendingPathComponent("store/tmp/interrupted")
            try Data("x".utf8).write(to: temporary)
            let modified = try #require(try temporary.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate)
            store.removeStaleTemporaryFiles(olderThan: 24 * 3600, now: modified.addingTimeInterval(23 * 3600))
            #expect(FileManager.default.fileExists(atPath: temporary.path))
            store.removeStaleTemporaryFiles(olderThan: 24 * 3600, now: modified.addingTimeInterval(25 * 3600))
            #expect(!FileManager.default.fileExists(atPath: temporary.path))
        }
    }
}
