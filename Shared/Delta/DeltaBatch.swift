public import Foundation
import ContentStore

/// Several chunks sent as deltas in one HTTP body (SPEC C3), the DP's `POST /delta-batch`.
///
/// A frame: the chunk's SHA-256 (64 lowercase hex), the number of reference chunks (1
/// byte), their hashes (64 hex each), the chunk's size and the delta's length (4 bytes
/// big-endian each), then the delta. The receiver concatenates the references it holds in
/// that order, decodes, and keeps the chunk only when it hashes to its name.
public enum DeltaBatch {
    /// At most this many references per chunk (a frame's count is one byte; the planner
    /// stays far below).
    public static let maximumReferences = 16

    public struct Frame: Sendable, Equatable {
        public var hash: String
        public var references: [String]
        public var size: Int
        public var delta: Data

        public init(hash: String, references: [String], size: Int, delta: Data) {
            self.hash = hash
            self.references = references
            self.size = size
            self.delta = delta
        }

        /// Bytes this frame takes in a body.
        public var encodedSize: Int { 64 + 1 + 64 * references.count + 8 + delta.count }
    }

    public static func append(_ frame: Frame, to body: inout Data) {
        body.append(contentsOf: Array(frame.hash.utf8.prefix(64)))
        body.append(UInt8(min(frame.references.count, maximumReferences)))
        for reference in frame.references.prefix(maximumReferences) { body.append(contentsOf: Array(reference.utf8.prefix(64))) }
        for value in [UInt32(frame.size), UInt32(frame.delta.count)] {
            var bigEndian = value.bigEndian
            withUnsafeBytes(of: &bigEndian) { body.append(contentsOf: $0) }
        }
        body.append(frame.delta)
    }

    public struct MalformedFrame: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Every frame of a whole body. Throws on a frame that cannot be one: a hash that is not
    /// one, too many references, a size above `maximumChunkSize`, a body cut short.
    public static func frames(in body: Data, maximumChunkSize: Int) throws -> [Frame] {
        var frames: [Frame] = []
        var offset = body.startIndex
        func take(_ count: Int) throws -> Data {
            guard body.endIndex - offset >= count else { throw MalformedFrame(description: "the delta batch is cut short") }
            defer { offset += count }
            return body[offset..<(offset + count)]
        }
        func hash() throws -> String {
            let text = String(decoding: try take(64), as: UTF8.self)
            guard text.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw MalformedFrame(description: "a delta frame names '\(text.prefix(64))', which is not a chunk hash")
            }
            return text
        }
        func number() throws -> Int { Int(try take(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        while offset < body.endIndex {
            let target = try hash()
            let count = Int(try take(1).first!)
            guard count <= maximumReferences else { throw MalformedFrame(description: "a delta frame names \(count) references, more than \(maximumReferences)") }
            var references: [String] = []
            for _ in 0..<count { references.append(try hash()) }
            let size = try number()
            guard size <= maximumChunkSize else { throw MalformedFrame(description: "a delta frame claims a chunk of \(size) bytes, above \(maximumChunkSize)") }
            let length = try number()
            guard length <= maximumChunkSize * 2 + 1024 else { throw MalformedFrame(description: "a delta of \(length) bytes is out of range") }
            frames.append(Frame(hash: target, references: references, size: size, delta: Data(try take(length))))
        }
        return frames
    }

    /// What the DP answers: how many chunks it rebuilt and kept, and those it could not (a
    /// reference it lacks, a delta that does not verify), for the sender to send whole.
    public struct Reply: Codable, Sendable, Equatable {
        public var stored: Int
        public var failed: [String]
        public init(stored: Int, failed: [String]) {
            self.stored = stored
            self.failed = failed
        }
    }
}

extension DeltaBatch.Frame {
    /// The chunk this frame encodes, rebuilt from the references `read` gives and checked
    /// against its hash; the reason when a reference is missing or the result does not verify.
    public func rebuild(reading read: (String) -> Data?) -> Result<Data, ChunkDelta.Failure> {
        var reference = Data()
        for hash in references {
            guard let bytes = read(hash) else { return .failure(ChunkDelta.Failure("reference chunk \(hash.prefix(12)) is not held")) }
            reference.append(bytes)
        }
        return ChunkDelta.rebuild(delta, reference: reference, size: size, hash: hash)
    }
}

extension ChunkDelta {
    /// ``decode(_:reference:size:)``, then the SHA-256 check a wrong reference would fail.
    public static func rebuild(_ delta: Data, reference: Data, size: Int, hash: String) -> Result<Data, Failure> {
        do {
            let data = try decode(delta, reference: reference, size: size)
            let actual = ContentHash.sha256Hex(data)
            guard actual == hash else { return .failure(Failure("the rebuilt bytes hash to \(actual.prefix(12)), not \(hash.prefix(12))")) }
            return .success(data)
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure("\(error)"))
        }
    }
}

/// The headers of a manifest pushed as a delta against another version's manifest.
public enum ManifestDelta {
    /// The version whose manifest the body is a delta against.
    public static let baseHeader = "X-Ferry-Delta-Base"
    /// The manifest's size in bytes.
    public static let sizeHeader = "X-Ferry-Manifest-Size"
}
