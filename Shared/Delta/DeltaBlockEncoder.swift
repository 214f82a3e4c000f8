public import ContentStore
public import Foundation

/// Turns a block of chunks a DP lacks into delta frames where a delta pays and whole
/// chunks where it does not (SPEC C3).
///
/// A pure step: the planner names each chunk's references, `references` gives their bytes
/// (nil: not at hand, so the chunk goes whole), and a delta is kept only when it is at most
/// ``worthwhile`` of the chunk's size with its frame header.
public struct DeltaBlockEncoder: Sendable {
    public struct Encoded: Sendable {
        public var deltas: [DeltaBatch.Frame] = []
        public var whole: [VerifiedBytes] = []
        /// Bytes the block sends: delta frames and whole chunks' payloads (as the whole-chunk
        /// path has always counted, for the DP's measured priority and the rate limit).
        public var wireBytes: Int = 0
    }

    public let planner: DeltaReferencePlanner
    public let level: Int32
    /// A delta frame is sent only when it is at most this share of the whole chunk.
    public let worthwhile: Double

    public init(planner: DeltaReferencePlanner, level: Int32 = 3, worthwhile: Double = 0.9) {
        self.planner = planner
        self.level = level
        self.worthwhile = worthwhile
    }

    /// Whether a chunk's delta by place (nil: none that pays) is poor enough to look for
    /// similar chunks elsewhere in the file: more than a quarter of the chunk.
    public func worthLookingFurther(_ frame: DeltaBatch.Frame?, for chunk: VerifiedBytes) -> Bool {
        frame.map { $0.encodedSize * 4 > chunk.data.count } ?? true
    }

    /// The base chunks a block's deltas need, each once, in first-use order.
    public func referenceHashes(for block: [VerifiedBytes]) -> [String] {
        var seen = Set<String>()
        return block.flatMap { planner.references(for: $0.hash).map(\.hash) }.filter { seen.insert($0).inserted }
    }

    /// The delta frame of `chunk` against `names` (bytes in `references`), or nil when a
    /// reference is not at hand or the delta would not pay.
    public func frame(_ chunk: VerifiedBytes, against names: [String], references: [String: Data]) -> DeltaBatch.Frame? {
        guard !names.isEmpty, names.count <= DeltaBatch.maximumReferences else { return nil }
        var reference = Data()
        for name in names {
            guard let bytes = references[name] else { return nil }
            reference.append(bytes)
        }
        guard let delta = try? ChunkDelta.encode(chunk.data, reference: reference, level: level) else { return nil }
        let frame = DeltaBatch.Frame(hash: chunk.hash, references: names, size: chunk.data.count, delta: delta)
        return Double(frame.encodedSize) <= Double(chunk.data.count) * worthwhile ? frame : nil
    }

    public func encode(_ block: [VerifiedBytes], references: [String: Data]) -> Encoded {
        var encoded = Encoded()
        for chunk in block {
            if let frame = frame(chunk, against: planner.references(for: chunk.hash).map(\.hash), references: references) {
                encoded.deltas.append(frame)
                encoded.wireBytes += frame.encodedSize
                continue
            }
            encoded.whole.append(chunk)
            encoded.wireBytes += chunk.data.count
        }
        return encoded
    }
}
