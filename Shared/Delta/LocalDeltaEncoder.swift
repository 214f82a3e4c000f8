public import ContentStore
public import Foundation

/// Deltas made where both versions' chunks are at hand (a source DP answering a pull DP,
/// SPEC C3): each chunk against the old chunks at its place first, then against the old
/// chunks of its file most like it. Chunks no delta pays for are left out: the asker
/// fetches those whole, as it would without deltas.
public struct LocalDeltaEncoder {
    public let encoder: DeltaBlockEncoder
    private let read: (String) -> Data?
    private var files: [String: ChunkResemblance] = [:]

    /// - Parameter read: a held chunk's bytes by hash (nil when not held).
    public init(base: Manifest, target: Manifest, read: @escaping (String) -> Data?) {
        encoder = DeltaBlockEncoder(planner: DeltaReferencePlanner(base: base, target: target))
        self.read = read
    }

    /// The frames for those of `chunks` a delta pays for.
    public mutating func frames(for chunks: [VerifiedBytes]) -> [DeltaBatch.Frame] {
        var references: [String: Data] = [:]
        func load(_ names: [String]) {
            for name in names where references[name] == nil { references[name] = read(name) }
        }
        load(encoder.referenceHashes(for: chunks))
        var frames: [DeltaBatch.Frame] = []
        for chunk in chunks {
            var best = encoder.frame(chunk, against: encoder.planner.references(for: chunk.hash).map(\.hash), references: references)
            if encoder.worthLookingFurther(best, for: chunk), let file = encoder.planner.baseFile(for: chunk.hash) {
                let names = similar(to: chunk.data, in: file.path, chunks: file.chunks)
                load(names)
                if let frame = encoder.frame(chunk, against: names, references: references),
                   frame.encodedSize < (best?.encodedSize ?? chunk.data.count) {
                    best = frame
                }
            }
            if let best { frames.append(best) }
        }
        return frames
    }

    /// The old chunks of the file most like `data`, each with its neighbours, within the
    /// planner's budget.
    private mutating func similar(to data: Data, in path: String, chunks: [ChunkReference]) -> [String] {
        if files[path] == nil {
            var index = ChunkResemblance()
            var seen = Set<String>()
            for chunk in chunks where seen.insert(chunk.hash).inserted {
                if let bytes = read(chunk.hash) { index.add(chunk.hash, sketch: ChunkResemblance.sketch(bytes)) }
            }
            files[path] = index
        }
        return files[path]!.references(similarTo: data, in: chunks, budget: encoder.planner.maximumReferenceBytes)
    }
}
