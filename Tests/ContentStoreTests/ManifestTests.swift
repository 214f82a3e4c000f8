import Foundation
import Testing
@testable import ContentStore

@Suite("Manifest")
struct ManifestTests {
    static func sample() -> Manifest {
        Manifest(entries: [
            ManifestEntry(path: "b/file.bin", kind: .file, size: 30, mode: 0o644,
                          chunks: [ChunkReference(hash: sampleHashA, size: 10), ChunkReference(hash: sampleHashB, size: 20)]),
            ManifestEntry(path: "a", kind: .directory, mode: 0o755),
            ManifestEntry(path: "b", kind: .directory, mode: 0o700),
            ManifestEntry(path: "b/copy.bin", kind: .file, size: 10, mode: 0o600, chunks: [ChunkReference(hash: sampleHashA, size: 10)]),
            ManifestEntry(path: "b/empty", kind: .file, size: 0, mode: 0o644),
            ManifestEntry(path: "b/link", kind: .symlink, mode: 0o777, linkTarget: "file.bin"),
        ])
    }

    /// JSON for a one-entry manifest, written by hand as a sender might.
    static func json(path: String, kind: String = "file", size: Int = 10, hash: String = sampleHashA,
                     chunkSize: Int = 10, version: Int = 1, extra: String = "") -> Data {
        let chunks = kind == "file" && size > 0 ? #"[{"hash":"\#(hash)","size":\#(chunkSize)}]"# : "[]"
        return Data(#"{"entries":[{"chunks":\#(chunks),"kind":"\#(kind)","mode":420,"path":"\#(path)","size":\#(size)\#(extra)}],"formatVersion":\#(version)}"#.utf8)
    }

    @Test("canonical bytes are compact JSON with sorted keys and plain slashes; the version id hashes them")
    func canonicalForm() throws {
        let manifest = ManifestTests.sample()
        let data = try manifest.canonicalData()
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.hasPrefix(#"{"entries":[{"chunks":[],"kind":"directory","mode":493,"path":"a","size":0}"#))
        #expect(text.hasSuffix(#"],"formatVersion":1}"#))
        #expect(text.contains(#""path":"b/file.bin""#))
        #expect(!text.contains("\\/"))
        #expect(!text.contains(" ") && !text.contains("\n"))
        #expect(try manifest.versionID() == ContentHash.sha256Hex(data))
        #expect(try manifest.canonicalData() == data)
        // Decoding and re-encoding gives the same bytes and id.
        let decoded = try Manifest.decode(data)
        #expect(decoded == manifest)
        #expect(try decoded.canonicalData() == data)
    }

    @Test("entries are sorted by path; a different order gives the same version id")
    func sorting() throws {
        let manifest = ManifestTests.sample()
        #expect(manifest.entries.map(\.path) == ["a", "b", "b/copy.bin", "b/empty", "b/file.bin", "b/link"])
        let shuffled = Manifest(entries: manifest.entries.reversed())
        #expect(try shuffled.versionID() == manifest.versionID())
        var changed = manifest
        changed.entries[2].mode = 0o644
        #expect(try changed.versionID() != manifest.versionID())
    }

    @Test("totals and unique chunks")
    func totals() {
        let manifest = ManifestTests.sample()
        #expect(manifest.totalSize == 40)
        #expect(manifest.fileCount == 3)
        #expect(manifest.uniqueChunks == [ChunkReference(hash: sampleHashA, size: 10), ChunkReference(hash: sampleHashB, size: 20)])
        #expect(manifest.formatVersion == 1)
    }

    @Test("a manifest with ../x is refused as an unsafe path")
    func refusesTraversal() {
        #expect(throws: ContentStoreError.unsafePath("../x", reason: "the path has a \"..\" component")) {
            try Manifest.decode(ManifestTests.json(path: "../x"))
        }
        #expect(throws: ContentStoreError.self) { try Manifest.decode(ManifestTests.json(path: "/etc/passwd")) }
        #expect(throws: ContentStoreError.self) { try Manifest.decode(ManifestTests.json(path: "a/../../b")) }
    }

    @Test("manifests breaking a rule are refused", arguments: [
        json(path: "a//b"),                                   // not normalised
        json(path: "a", hash: "ABC"),                         // invalid hash
        json(path: "a", hash: String(repeating: "A", count: 64)),
        json(path: "a", size: 11),                            // chunks don't add up
        json(path: "a", chunkSize: 0, extra: ""),
        json(path: "a", version: 2),
        json(path: "a", kind: "directory", size: 5),
        json(path: "a", kind: "symlink", size: 0),            // symlink without target
        json(path: "a", kind: "socket"),
        json(path: "a", size: -1),
        json(path: "a", extra: #","linkTarget":"b""#),     // file with a link target
        Data("{".utf8), Data("[]".utf8), Data(#"{"entries":[]}"#.utf8), Data(),
    ])
    func refusesMalformed(data: Data) {
        #expect(throws: ContentStoreError.self) { try Manifest.decode(data) }
    }

    @Test("duplicate paths, unsorted entries and entries below a file are refused")
    func refusesStructure() throws {
        let file = ManifestEntry(path: "a", kind: .file, size: 0, mode: 0o644)
        var duplicate = Manifest(entries: [file, file])
        #expect(throws: ContentStoreError.malformedManifest(#"path "a" appears twice"#)) { try duplicate.validate() }
        duplicate.entries = [ManifestEntry(path: "b", kind: .directory, mode: 0o755), ManifestEntry(path: "a", kind: .directory, mode: 0o755)]
        #expect(throws: ContentStoreError.self) { try duplicate.validate() }
        let below = Manifest(entries: [file, ManifestEntry(path: "a/b", kind: .file, size: 0, mode: 0o644)])
        #expect(throws: ContentStoreError.self) { try Manifest.decode(try below.canonicalData()) }
        let bad = Manifest(entries: [ManifestEntry(path: "a", kind: .file, size: 0, mode: 0o10000)])
        #expect(throws: ContentStoreError.self) { try bad.validate() }
    }

    @Test("symlinks must stay inside the root, also through other links")
    func symlinkRules() throws {
        func manifest(_ links: [(String, String)]) -> Manifest {
            Manifest(entries: links.map { ManifestEntry(path: $0.0, kind: .symlink, mode: 0o777, linkTarget: $0.1) }
                + [ManifestEntry(path: "d", kind: .directory, mode: 0o755), ManifestEntry(path: "v2", kind: .directory, mode: 0o755)])
        }
        try manifest([("d/l", "../v2"), ("current", "v2"), ("bin", "current/bin")]).validate()
        let outside = manifest([("d/l", "../../etc/passwd")])
        #expect {
            try Manifest.decode(try outside.canonicalData())
        } throws: { error in
            guard case let .unsafePath(path, reason)? = error as? ContentStoreError else { return false }
            return path == "d/l" && reason.contains("outside")
        }
        #expect(throws: ContentStoreError.self) { try manifest([("l", "/etc")]).validate() }
        #expect(throws: ContentStoreError.self) { try manifest([("d/up", ".."), ("d/x", "up/..")]).validate() }
        // Nothing may be written below a symlink.
        let below = Manifest(entries: [ManifestEntry(path: "l", kind: .symlink, mode: 0o777, linkTarget: "d"),
                                       ManifestEntry(path: "l/f", kind: .file, size: 0, mode: 0o644)])
        #expect(throws: ContentStoreError.self) { try below.validate() }
    }

    @Test("segments(of:covering:) maps a byte range to chunk pieces")
    func segments() {
        let entry = ManifestEntry(path: "f", kind: .file, size: 60, mode: 0o644, chunks: [
            ChunkReference(hash: sampleHashA, size: 10), ChunkReference(hash: sampleHashB, size: 20), ChunkReference(hash: sampleHashC, size: 30),
        ])
        func seg(_ h: String, _ o: Int, _ l: Int) -> FileSegment { FileSegment(chunkHash: h, offsetInChunk: o, length: l) }
        #expect(Manifest.segments(of: entry, covering: 0..<60) == [seg(sampleHashA, 0, 10), seg(sampleHashB, 0, 20), seg(sampleHashC, 0, 30)])
        #expect(Manifest.segments(of: entry, covering: 5..<15) == [seg(sampleHashA, 5, 5), seg(sampleHashB, 0, 5)])
        #expect(Manifest.segments(of: entry, covering: 10..<30) == [seg(sampleHashB, 0, 20)])
        #expect(Manifest.segments(of: entry, covering: 12..<13) == [seg(sampleHashB, 2, 1)])
        #expect(Manifest.segments(of: entry, covering: 29..<31) == [seg(sampleHashB, 19, 1), seg(sampleHashC, 0, 1)])
        #expect(Manifest.segments(of: entry, covering: 55..<1000) == [seg(sampleHashC, 25, 5)])
        #expect(Manifest.segments(of: entry, covering: -5..<3) == [seg(sampleHashA, 0, 3)])
        #expect(Manifest.segments(of: entry, covering: 60..<70).isEmpty)
        #expect(Manifest.segments(of: entry, covering: 20..<20).isEmpty)
        #expect(Manifest.segments(of: ManifestEntry(path: "d", kind: .directory, mode: 0o755), covering: 0..<10).isEmpty)
        // The pieces of any range add up to its clamped length.
        for (lower, upper) in [(0, 1), (3, 44), (9, 11), (30, 60), (59, 61)] as [(Int64, Int64)] {
            let total = Manifest.segments(of: entry, covering: lower..<upper).reduce(0) { $0 + $1.length }
            #expect(Int64(total) == min(upper, 60) - lower)
        }
    }

    @Test("content hashes: known vector and validity")
    func hashes() {
        #expect(ContentHash.sha256Hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ContentHash.sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(ContentHash.isValid(sampleHashA))
        #expect(!ContentHash.isValid(String(repeating: "A", count: 64)))
        #expect(!ContentHash.isValid(String(repeating: "a", count: 63)))
        #expect(!ContentHash.isValid(String(repeating: "a", count: 65)))
        #expect(!ContentHash.isValid(String(repeating: "g", count: 64)))
        #expect(!ContentHash.isValid(""))
        #expect(!ContentHash.isValid("../" + String(repeating: "a", count: 61)))
    }
}
