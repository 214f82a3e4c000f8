import ContentStore
public import Foundation

/// Several content chunks packed into one NORM object.
///
/// Chunks are tens of KiB; as one NORM object each, the per-object state and repair
/// rounds made a 1 % loss LAN several times slower than big objects (PLATFORM.md: objects
/// of 4–16 MiB). A bundle keeps every chunk's hash, so a receiver still verifies and keeps
/// each chunk on its own, and a late joiner loses at most the bundle it joined during.
///
/// Layout, big-endian: the magic `FYB1`, a UInt16 entry count, then per entry the raw
/// 32-byte SHA-256 and a UInt32 length, then the chunks' bytes in entry order. `decode`
/// rejects anything else; it never trusts a length before checking it against the size.
public enum ChunkBundle {
    /// The NORM info every bundle object carries; objects with other info are not bundles.
    public static let info = "ferry-bundle/1"
    /// Most entries one bundle may list.
    public static let maximumEntries = 4096

    /// One chunk inside a decoded bundle: its hash (lowercase hex) and where its bytes are.
    public struct Entry: Sendable, Equatable {
        public var hash: String
        public var range: Range<Int>
    }

    /// Why bytes are not a bundle.
    public struct FormatError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    private static let magic: [UInt8] = Array("FYB1".utf8)
    private static let entryHeaderSize = 36

    /// Packs chunks (hash as 64 lowercase hex characters, bytes) into one bundle.
    public static func encode(_ chunks: [(hash: String, data: Data)]) throws -> Data {
        guard !chunks.isEmpty, chunks.count <= maximumEntries else {
            throw FormatError(description: "a bundle holds 1 to \(maximumEntries) chunks, not \(chunks.count)")
        }
        var out = Data(magic)
        out.reserveCapacity(6 + chunks.count * entryHeaderSize + chunks.reduce(0) { $0 + $1.data.count })
        appendBigEndian(UInt16(chunks.count), to: &out)
        for chunk in chunks {
            guard let raw = ContentHash.rawBytes(chunk.hash) else { throw FormatError(description: "'\(chunk.hash)' is not a SHA-256 in hex") }
            guard chunk.data.count <= Int(UInt32.max) else { throw FormatError(description: "a chunk of \(chunk.data.count) bytes is too big") }
            out.append(contentsOf: raw)
            appendBigEndian(UInt32(chunk.data.count), to: &out)
        }
        for chunk in chunks { out.append(chunk.data) }
        return out
    }

    /// The entries of a bundle, with ranges into `data`'s indices; throws for anything
    /// malformed (wrong magic, no entries, lengths that do not add up to the size).
    public static func decode(_ data: Data) throws -> [Entry] {
        let size = data.count
        guard size >= 6, Array(data.prefix(4)) == magic else { throw FormatError(description: "not a bundle (bad magic)") }
        let countBytes = Array(data.dropFirst(4).prefix(2))
        let count = Int(countBytes[0]) << 8 | Int(countBytes[1])
        guard count >= 1, count <= maximumEntries else { throw FormatError(description: "a bundle listing \(count) chunks") }
        var offset = 6 + count * entryHeaderSize
        guard offset <= size else { throw FormatError(description: "the bundle's header is cut short") }
        // Only the header is copied; chunk bytes stay where they are.
        let header = Array(data.prefix(offset))
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let at = 6 + index * entryHeaderSize
            let hash = ContentHash.hex(header[at..<at + 32])
            let length = header[at + 32..<at + 36].reduce(0) { $0 << 8 | Int($1) }
            guard length <= size - offset else { throw FormatError(description: "chunk \(index + 1) runs past the bundle's end") }
            let start = data.startIndex + offset
            entries.append(Entry(hash: hash, range: start..<start + length))
            offset += length
        }
        guard offset == size else { throw FormatError(description: "\(size - offset) bytes after the last chunk") }
        return entries
    }

    private static func appendBigEndian<Value: FixedWidthInteger>(_ value: Value, to data: inout Data) {
        withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) }
    }
}

/// Collects chunks until they fill a bundle of about `targetBytes`.
public struct ChunkBundler {
    public let targetBytes: Int
    private var chunks: [(hash: String, data: Data)] = []
    private var bytes = 0

    public init(targetBytes: Int) {
        self.targetBytes = max(1, targetBytes)
    }

    /// True when nothing is waiting to be sent.
    public var isEmpty: Bool { chunks.isEmpty }

    /// Adds a chunk; returns a full bundle to send when the target size is reached.
    public mutating func add(hash: String, data: Data) throws -> Data? {
        chunks.append((hash, data))
        bytes += data.count
        guard bytes >= targetBytes || chunks.count == ChunkBundle.maximumEntries else { return nil }
        return try take()
    }

    /// The chunks collected so far as one bundle (nil if none); the bundler is empty after.
    public mutating func take() throws -> Data? {
        guard !chunks.isEmpty else { return nil }
        defer {
            chunks.removeAll(keepingCapacity: true)
            bytes = 0
        }
        return try ChunkBundle.encode(chunks)
    }
}
