import ContentStore
import Delta
import Foundation
import Testing

/// Seeded pseudo-random bytes (incompressible on their own, as real payloads often are).
func randomBytes(_ count: Int, seed: UInt64) -> Data {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var bytes = [UInt8](repeating: 0, count: count)
    for index in bytes.indices {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[index] = UInt8(truncatingIfNeeded: state)
    }
    return Data(bytes)
}

@Suite("ChunkDelta")
struct ChunkDeltaTests {
    @Test("C3: a chunk edited in place encodes to a small delta against the old one and rebuilds exactly")
    func smallEditGivesSmallDelta() throws {
        let old = randomBytes(65_536, seed: 1)
        var new = old
        new.replaceSubrange(30_000..<30_100, with: randomBytes(100, seed: 2))
        let delta = try ChunkDelta.encode(new, reference: old)
        #expect(delta.count < 400, "\(delta.count) bytes for a 100-byte edit")
        #expect(try ChunkDelta.decode(delta, reference: old, size: new.count) == new)
    }

    @Test("C3: without a useful reference the delta is about the chunk's size, and still rebuilds")
    func unrelatedReference() throws {
        let chunk = randomBytes(40_000, seed: 3)
        let delta = try ChunkDelta.encode(chunk, reference: randomBytes(40_000, seed: 4))
        #expect(delta.count > 39_000)
        #expect(try ChunkDelta.decode(delta, reference: randomBytes(40_000, seed: 4), size: chunk.count) == chunk)
        #expect(try ChunkDelta.decode(try ChunkDelta.encode(chunk, reference: Data()), reference: Data(), size: chunk.count) == chunk)
    }

    @Test("C3: a corrupted delta, a wrong size or another reference never gives the chunk silently")
    func corruptionIsCaughtOrDetectable() throws {
        let old = randomBytes(65_536, seed: 5)
        var new = old
        new.replaceSubrange(0..<10, with: randomBytes(10, seed: 6))
        let delta = try ChunkDelta.encode(new, reference: old)
        #expect(throws: ChunkDelta.Failure.self) { try ChunkDelta.decode(delta, reference: old, size: new.count - 1) }
        #expect(throws: ChunkDelta.Failure.self) { try ChunkDelta.decode(Data(delta.prefix(delta.count / 2)), reference: old, size: new.count) }
        var flipped = old
        flipped[40_000] ^= 0xFF
        // zstd cannot tell a changed reference: the bytes differ, and only the hash says so.
        let rebuilt = try? ChunkDelta.decode(delta, reference: flipped, size: new.count)
        #expect(rebuilt != new)
        #expect(rebuilt.map(ContentHash.sha256Hex) != ContentHash.sha256Hex(new))
    }
}

@Suite("DeltaBatch")
struct DeltaBatchTests {
    @Test("C3: frames round-trip; cut, bad-hash and oversized frames are refused")
    func framesRoundTrip() throws {
        let frames = [DeltaBatch.Frame(hash: String(repeating: "a", count: 64), references: [String(repeating: "b", count: 64)], size: 10, delta: Data([1, 2, 3])),
                      DeltaBatch.Frame(hash: String(repeating: "c", count: 64), references: [], size: 0, delta: Data())]
        var body = Data()
        for frame in frames { DeltaBatch.append(frame, to: &body) }
        #expect(body.count == frames.reduce(0) { $0 + $1.encodedSize })
        #expect(try DeltaBatch.frames(in: body, maximumChunkSize: 1 << 20) == frames)
        #expect(throws: DeltaBatch.MalformedFrame.self) { try DeltaBatch.frames(in: body.prefix(body.count - 1), maximumChunkSize: 1 << 20) }
        #expect(throws: DeltaBatch.MalformedFrame.self) { try DeltaBatch.frames(in: body, maximumChunkSize: 5) }
        var bad = body
        bad[0] = UInt8(ascii: "Z")
        #expect(throws: DeltaBatch.MalformedFrame.self) { try DeltaBatch.frames(in: bad, maximumChunkSize: 1 << 20) }
    }
}

@Suite("ChunkResemblance")
struct ChunkResemblanceTests {
    @Test("C3: a chunk made of parts of two held chunks finds those two, not unrelated ones")
    func findsTheSources() {
        let held = (0..<40).map { randomBytes(65_536, seed: 1000 + UInt64($0)) }
        var index = ChunkResemblance()
        for (position, chunk) in held.enumerated() { index.add("chunk\(position)", sketch: ChunkResemblance.sketch(chunk)) }
        // Like a block boundary after a shuffle: the tail of one held chunk, the head of another.
        let mixed = held[7][30_000...] + held[23][..<34_000]
        let found = index.similar(to: ChunkResemblance.sketch(Data(mixed)))
        #expect(Set(found) == ["chunk7", "chunk23"], "\(found)")
        #expect(index.similar(to: ChunkResemblance.sketch(randomBytes(65_536, seed: 9))).isEmpty)
    }
}
