#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// FastCDC-style content-defined chunker: a gear rolling hash, normalised chunking with two masks
/// (a harder one before the average size, an easier one after it), cut points skipped below the minimum
/// and forced at the maximum. An edit inside a file changes only the chunks around it.
///
/// The gear table comes from SplitMix64 with a fixed seed, so boundaries are the same on every run and machine.
/// Changing the table, the seed or the masks changes every chunk boundary: don't.
public struct ContentDefinedChunker: Sendable {
    /// The parameters in use (invalid ones are clamped to the nearest valid values).
    public let parameters: ChunkingParameters
    private let maskHard: UInt64
    private let maskEasy: UInt64

    /// Size of the read buffer when streaming a file (at least twice the maximum chunk size).
    public static let readBufferSize = 8 * 1024 * 1024

    public init(parameters: ChunkingParameters = .standard) {
        let p = parameters.clamped()
        self.parameters = p
        // bits = floor(log2(average)); average ≥ 64 so bits ≥ 6.
        let bits = Int.bitWidth - 1 - p.averageSize.leadingZeroBitCount
        self.maskHard = Self.topBits(bits + 1)
        self.maskEasy = Self.topBits(bits - 1)
    }

    /// A mask of the `count` most significant bits: with a left-shifting gear hash those bits depend on the
    /// last 64 bytes, the widest window the hash has.
    private static func topBits(_ count: Int) -> UInt64 {
        count <= 0 ? 0 : ~UInt64(0) << UInt64(64 - Swift.min(count, 64))
    }

    /// 256 pseudo-random 64-bit values from SplitMix64, seed "FerryCDC".
    static let gear: [UInt64] = {
        var state: UInt64 = 0x4665_7272_7943_4443
        return (0..<256).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }()

    /// The length of the chunk starting at `bytes` when `available` bytes are known
    /// (`available` ≥ maximum size, or everything left in the file).
    @inline(__always)
    private func cutPoint(_ bytes: UnsafePointer<UInt8>, _ available: Int, _ gear: UnsafePointer<UInt64>) -> Int {
        let minimum = parameters.minimumSize
        if available <= minimum { return available }
        let end = Swift.min(available, parameters.maximumSize)
        let normal = Swift.min(parameters.averageSize, end)
        let hard = maskHard, easy = maskEasy
        var hash: UInt64 = 0
        var i = minimum
        while i < normal {
            hash = (hash &<< 1) &+ gear[Int(bytes[i])]
            if hash & hard == 0 { return i &+ 1 }
            i &+= 1
        }
        while i < end {
            hash = (hash &<< 1) &+ gear[Int(bytes[i])]
            if hash & easy == 0 { return i &+ 1 }
            i &+= 1
        }
        return end
    }

    /// Chunk boundaries of an in-memory buffer: the chunk lengths, in order (they sum to `data.count`).
    public func chunkLengths(of data: Data) -> [Int] {
        var lengths: [Int] = []
        Self.gear.withUnsafeBufferPointer { gearBuffer in
            guard let gear = gearBuffer.baseAddress else { return }
            data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
                var offset = 0
                while offset < raw.count {
                    let length = cutPoint(base + offset, raw.count - offset, gear)
                    lengths.append(length)
                    offset += length
                }
            }
        }
        return lengths
    }

    /// Streams the file at `url` through fixed buffers (flat memory for any size) and calls `body` once per
    /// chunk, in order, with the chunk bytes. An empty file has no chunks.
    public func forEachChunk(ofFileAt url: URL, _ body: (Data) throws -> Void) throws {
        let path = url.path
        let fd = try FileSystem.openFile(path, O_RDONLY)
        defer { close(fd) }
        try forEachChunk(fileDescriptor: fd, path: path) { bytes in
            try body(Data(bytes))
        }
    }

    /// Streams an open file and calls `body` with each chunk's bytes, valid only during the call (no copy).
    func forEachChunk(fileDescriptor fd: Int32, path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let maximum = parameters.maximumSize
        let capacity = Swift.max(Self.readBufferSize, 2 * maximum)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        let bytes = buffer.assumingMemoryBound(to: UInt8.self)
        var start = 0, end = 0
        var atEnd = false
        try Self.gear.withUnsafeBufferPointer { gearBuffer in
            guard let gear = gearBuffer.baseAddress else { return }
            while true {
                if !atEnd && end - start < maximum {
                    // Move the unfinished tail to the front and fill the rest of the buffer.
                    if start > 0 {
                        if end > start { memmove(buffer, buffer + start, end - start) }
                        end -= start
                        start = 0
                    }
                    let got = try FileSystem.readFully(fd, into: buffer + end, count: capacity - end, path: path)
                    end += got
                    if end < capacity { atEnd = true }
                }
                if start == end && atEnd { return }
                while end - start >= maximum || (atEnd && end > start) {
                    let length = cutPoint(bytes + start, end - start, gear)
                    try body(UnsafeRawBufferPointer(start: buffer + start, count: length))
                    start += length
                }
            }
        }
    }
}
