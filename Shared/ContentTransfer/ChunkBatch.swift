public import Foundation

/// Several chunks in one HTTP body: the PTM's pushes to a DP and its reads from the site
/// library, so a version moves in a few requests instead of one per chunk (issue 16 item 8).
///
/// Each frame is the chunk's SHA-256 as 64 lowercase hex characters, its length as 4 bytes
/// big-endian, then its bytes. Frames are read as they arrive; a receiver checks each
/// chunk against its hash before it keeps it, as for a single chunk.
public enum ChunkBatch {
    public static let headerSize = 68
    /// The most chunks one batch request may ask for (the site library refuses more).
    public static let maximumRequestHashes = 4096

    /// Appends one frame to `body`.
    public static func append(hash: String, data: Data, to body: inout Data) {
        body.append(contentsOf: Array(hash.utf8.prefix(64)))
        var length = UInt32(data.count).bigEndian
        withUnsafeBytes(of: &length) { body.append(contentsOf: $0) }
        body.append(data)
    }

    /// The body of a batch request for chunks: their hashes, one per line.
    public static func request(hashes: [String]) -> Data {
        Data(hashes.joined(separator: "\n").utf8)
    }

    /// The hashes of a batch request, each checked; nil when one is not a hash.
    public static func hashes(inRequest body: Data) -> [String]? {
        let lines = String(decoding: body, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
        guard lines.allSatisfy(Self.isHash) else { return nil }
        return lines
    }

    static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Reads frames from bytes as they arrive.
    public struct Reader: Sendable {
        private var buffer = Data()
        private var offset = 0
        public let maximumChunkSize: Int

        public init(maximumChunkSize: Int) { self.maximumChunkSize = maximumChunkSize }

        public mutating func append(_ bytes: some DataProtocol) {
            if offset > 0, offset >= buffer.count / 2 {
                buffer.removeSubrange(buffer.startIndex..<(buffer.startIndex + offset))
                offset = 0
            }
            buffer.append(contentsOf: bytes)
        }

        /// The next whole frame, nil until one has arrived. Throws on a frame that cannot
        /// be one: a header that is not a hash, a length above ``maximumChunkSize``.
        public mutating func next() throws -> (hash: String, data: Data)? {
            let available = buffer.count - offset
            guard available >= ChunkBatch.headerSize else { return nil }
            let start = buffer.startIndex + offset
            let hash = String(decoding: buffer[start..<(start + 64)], as: UTF8.self)
            guard ChunkBatch.isHash(hash) else { throw ChunkBatchError("a frame does not start with a chunk hash") }
            let length = buffer[(start + 64)..<(start + 68)].reduce(0) { ($0 << 8) | Int($1) }
            guard length <= maximumChunkSize else {
                throw ChunkBatchError("chunk \(hash.prefix(12)) is \(length) bytes; at most \(maximumChunkSize) are allowed")
            }
            guard available >= ChunkBatch.headerSize + length else { return nil }
            let data = Data(buffer[(start + 68)..<(start + 68 + length)])
            offset += ChunkBatch.headerSize + length
            return (hash, data)
        }

        /// Bytes received that do not make a whole frame yet (a body must end with none).
        public var pendingBytes: Int { buffer.count - offset }
    }
}

/// A batch body that is not a sequence of frames.
public struct ChunkBatchError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
