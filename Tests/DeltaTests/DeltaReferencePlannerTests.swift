import ContentStore
import Delta
import Foundation
import Testing

@Suite("DeltaReferencePlanner")
struct DeltaReferencePlannerTests {
    static func chunk(_ name: String, _ size: Int = 1000) -> ChunkReference {
        ChunkReference(hash: String(repeating: name, count: 64 / name.count), size: size)
    }

    static func manifest(_ files: [String: [ChunkReference]]) -> Manifest {
        Manifest(entries: files.map { ManifestEntry(path: $0.key, kind: .file, size: Int64($0.value.reduce(0) { $0 + $1.size }), mode: 0o644, chunks: $0.value) })
    }

    @Test("C3: an edited chunk's references are the old chunks at its place in the same file")
    func editInPlace() {
        let base = Self.manifest(["image.bin": ["a", "b", "c", "d", "e"].map { Self.chunk($0) }])
        let target = Self.manifest(["image.bin": ["a", "b", "x", "d", "e"].map { Self.chunk($0) }])
        let planner = DeltaReferencePlanner(base: base, target: target)
        let references = planner.references(for: Self.chunk("x").hash).map(\.hash)
        #expect(references.first == Self.chunk("c").hash, "the old chunk at its place first: \(references)")
        #expect(Set(references).isSubset(of: Set(["b", "c", "d"].map { Self.chunk($0).hash })))
    }

    @Test("C3: after an insertion the shared chunks around it line the old file up, not the raw offset")
    func insertionShiftsTheEstimate() {
        let base = Self.manifest(["image.bin": ["a", "b", "c", "d", "e", "f", "9"].map { Self.chunk($0) }])
        // Three new chunks inserted after "b"; "y" is the chunk that ends the insertion and
        // holds the start of the old "c".
        let target = Self.manifest(["image.bin": ["a", "b", "7", "8", "y", "d", "e", "f", "9"].map { Self.chunk($0) }])
        let planner = DeltaReferencePlanner(base: base, target: target, maximumReferenceBytes: 3000)
        let references = planner.references(for: Self.chunk("y").hash).map(\.hash)
        #expect(references.contains(Self.chunk("c").hash), "\(references)")
    }

    @Test("C3: a file moved to another folder is matched by its name; an unknown file has no references")
    func movedAndNewFiles() {
        let base = Self.manifest(["old/setup.exe": [Self.chunk("a"), Self.chunk("b")]])
        let target = Self.manifest(["new/setup.exe": [Self.chunk("a"), Self.chunk("x")], "other.txt": [Self.chunk("y")]])
        let planner = DeltaReferencePlanner(base: base, target: target)
        #expect(planner.references(for: Self.chunk("x").hash).contains { $0.hash == Self.chunk("b").hash })
        #expect(planner.references(for: Self.chunk("y").hash).isEmpty)
        #expect(planner.references(for: String(repeating: "0", count: 64)).isEmpty, "a chunk of neither version")
    }

    @Test("C3: the references stay within the byte budget")
    func budget() {
        let base = Self.manifest(["f": (0..<10).map { Self.chunk(String($0), 100_000) }])
        let target = Self.manifest(["f": (0..<5).map { Self.chunk(String($0), 100_000) } + [Self.chunk("x", 100_000)] + (6..<10).map { Self.chunk(String($0), 100_000) }])
        let planner = DeltaReferencePlanner(base: base, target: target, maximumReferenceBytes: 250_000)
        let references = planner.references(for: Self.chunk("x").hash)
        #expect(!references.isEmpty)
        #expect(references.reduce(0) { $0 + $1.size } <= 250_000)
    }
}
