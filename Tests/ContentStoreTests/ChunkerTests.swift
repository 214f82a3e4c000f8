import Foundation
import Testing
@testable import ContentStore

@Suite("ContentDefinedChunker")
struct ChunkerTests {
    static let small = ChunkingParameters(minimumSize: 256, averageSize: 1024, maximumSize: 4096)

    func chunkHashes(_ data: Data, _ chunker: ContentDefinedChunker = ContentDefinedChunker()) -> [String] {
        var offset = 0
        return chunker.chunkLengths(of: data).map { length in
            defer { offset += length }
            return ContentHash.sha256Hex(data[offset..<(offset + length)])
        }
    }

    /// Length of the common tail of two lists.
    func commonSuffix(_ a: [String], _ b: [String]) -> Int {
        zip(a.reversed(), b.reversed()).prefix { $0 == $1 }.count
    }

    @Test("the same bytes give the same boundaries, every time and from every instance")
    func deterministic() {
        let data = pseudoRandomData(count: 4 * 1024 * 1024, seed: 1)
        let first = ContentDefinedChunker().chunkLengths(of: data)
        let second = ContentDefinedChunker(parameters: .standard).chunkLengths(of: data)
        #expect(first == second)
        #expect(first.count > 10)
        #expect(first.reduce(0, +) == data.count)
    }

    @Test("boundaries match the recorded ones (gear table and masks are part of the format)")
    func goldenBoundaries() {
        let data = pseudoRandomData(count: 1024 * 1024, seed: 42)
        let lengths = ContentDefinedChunker().chunkLengths(of: data)
        #expect(Array(lengths.prefix(8)) == ChunkerTests.goldenLengths)
        #expect(ContentDefinedChunker.gear[0] == ChunkerTests.goldenGear0)
    }

    static let goldenLengths = [75626, 97399, 22599, 27334, 135469, 69478, 50009, 80742]
    static let goldenGear0: UInt64 = 15_319_303_617_883_944_426

    @Test("no chunk is shorter than the minimum (but the last) or longer than the maximum",
          arguments: [0, 1, 2])
    func sizeLimits(pattern: Int) {
        let count = 3 * 1024 * 1024 + 123
        let data: Data
        switch pattern {
        case 0: data = pseudoRandomData(count: count, seed: 7)
        case 1: data = Data(count: count)                          // zeros: no natural cut point
        default: data = Data((0..<count).map { UInt8(truncatingIfNeeded: $0 % 251) })
        }
        for parameters in [ChunkerTests.small, .standard] {
            let lengths = ContentDefinedChunker(parameters: parameters).chunkLengths(of: data)
            #expect(lengths.reduce(0, +) == count)
            #expect(lengths.dropLast().allSatisfy { $0 >= parameters.minimumSize && $0 <= parameters.maximumSize })
            #expect((lengths.last ?? 0) <= parameters.maximumSize)
            #expect((lengths.last ?? 0) > 0)
        }
    }

    @Test("zeros are cut at the maximum size")
    func zerosCutAtMaximum() {
        let lengths = ContentDefinedChunker().chunkLengths(of: Data(count: 1024 * 1024))
        #expect(lengths == [262_144, 262_144, 262_144, 262_144])
    }

    @Test("average chunk size is near the configured average")
    func averageSize() {
        let data = pseudoRandomData(count: 8 * 1024 * 1024, seed: 3)
        let lengths = ContentDefinedChunker().chunkLengths(of: data)
        let mean = data.count / lengths.count
        #expect(mean > 40 * 1024 && mean < 110 * 1024, "mean chunk size \(mean)")
    }

    @Test("100 bytes inserted near the start change only the first couple of chunks")
    func insertionNearStart() {
        let original = pseudoRandomData(count: 20 * 1024 * 1024, seed: 11)
        var edited = original
        edited.insert(contentsOf: pseudoRandomData(count: 100, seed: 99), at: 1000)
        let before = chunkHashes(original), after = chunkHashes(edited)
        #expect(before.count > 100)
        let shared = commonSuffix(before, after)
        #expect(shared >= before.count - 2, "only \(shared) of \(before.count) trailing chunks survived")
        #expect(before.first != after.first)
    }

    @Test("an edit in the middle changes only the chunks around it")
    func editInMiddle() {
        let original = pseudoRandomData(count: 8 * 1024 * 1024, seed: 12)
        var edited = original
        edited.replaceSubrange(4_000_000..<4_000_010, with: Data(repeating: 0xAB, count: 10))
        edited.insert(contentsOf: Data(repeating: 1, count: 5000), at: 6_000_000)
        let before = Set(chunkHashes(original)), after = chunkHashes(edited)
        let changed = after.filter { !before.contains($0) }.count
        #expect(changed >= 2 && changed <= 6, "\(changed) chunks changed")
    }

    @Test("small parameters resynchronise too")
    func insertionWithSmallParameters() {
        let chunker = ContentDefinedChunker(parameters: ChunkerTests.small)
        let original = pseudoRandomData(count: 1024 * 1024, seed: 5)
        var edited = original
        edited.insert(contentsOf: Data([1, 2, 3]), at: 50)
        let before = chunkHashes(original, chunker), after = chunkHashes(edited, chunker)
        #expect(commonSuffix(before, after) >= before.count - 3)
    }

    @Test("streaming a file gives the same chunks as the in-memory chunker, across read buffers")
    func streamingMatchesMemory() throws {
        try withTemporaryFolder { folder in
            let data = pseudoRandomData(count: 2 * ContentDefinedChunker.readBufferSize + 12_345, seed: 21)
            let url = try writeFile("big.bin", in: folder, data: data)
            var streamed: [Int] = []
            var joined = Data()
            try ContentDefinedChunker().forEachChunk(ofFileAt: url) { chunk in
                streamed.append(chunk.count)
                joined.append(chunk)
            }
            #expect(streamed == ContentDefinedChunker().chunkLengths(of: data))
            #expect(joined == data)
        }
    }

    @Test("an empty file has no chunks; a tiny file has one")
    func emptyAndTinyFiles() throws {
        try withTemporaryFolder { folder in
            let empty = try writeFile("empty", in: folder, data: Data())
            var calls = 0
            try ContentDefinedChunker().forEachChunk(ofFileAt: empty) { _ in calls += 1 }
            #expect(calls == 0)
            let tiny = try writeFile("tiny", in: folder, data: Data("hello".utf8))
            var chunks: [Data] = []
            try ContentDefinedChunker().forEachChunk(ofFileAt: tiny) { chunks.append($0) }
            #expect(chunks == [Data("hello".utf8)])
            #expect(ContentDefinedChunker().chunkLengths(of: Data()).isEmpty)
        }
    }

    @Test("a missing file throws an io error naming it")
    func missingFile() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("nope")
            let error = try #require(throws: ContentStoreError.self) {
                try ContentDefinedChunker().forEachChunk(ofFileAt: url) { _ in }
            }
            guard case let .io(message) = error else { Issue.record("expected .io, got \(error)"); return }
            #expect(message.contains("nope"))
        }
    }

    @Test("parameters are validated")
    func parameterValidation() throws {
        #expect(try ChunkingParameters.standard.validated() == .standard)
        #expect(throws: ChunkingParametersError.self) {
            try ChunkingParameters(minimumSize: 10, averageSize: 64, maximumSize: 128).validated()
        }
        #expect(throws: ChunkingParametersError.self) {
            try ChunkingParameters(minimumSize: 4096, averageSize: 1024, maximumSize: 8192).validated()
        }
        #expect(throws: ChunkingParametersError.self) {
            try ChunkingParameters(minimumSize: 1024, averageSize: 4096, maximumSize: 2048).validated()
        }
        #expect(throws: ChunkingParametersError.self) {
            try ChunkingParameters(minimumSize: 1024, averageSize: 4096, maximumSize: 1 << 30).validated()
        }
        // A chunker given invalid parameters clamps them rather than crashing.
        let clamped = ContentDefinedChunker(parameters: ChunkingParameters(minimumSize: 0, averageSize: -5, maximumSize: 1))
        #expect(try clamped.parameters.validated() == clamped.parameters)
        #expect(clamped.chunkLengths(of: Data(count: 1000)).reduce(0, +) == 1000)
    }
}
