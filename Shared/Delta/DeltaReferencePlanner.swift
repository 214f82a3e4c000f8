public import ContentStore

/// Which chunks a DP already holds to encode each new chunk against (SPEC C3): the DP's
/// installed version of the same file first, at the place the new chunk sits.
///
/// A pure rule over two manifests. A chunk's place in the old file is estimated three ways:
/// the offset implied by the nearest chunk before and after it that both versions share
/// (insertions and deletions shift what follows), the nearer first, then its own offset. The
/// old chunks covering each estimate, with one neighbour on either side, are the
/// references, nearest estimate first, at most ``maximumReferenceBytes`` in all. A file
/// the old version lacks under its path is looked for under its name in another folder
/// (a move). No reference: the chunk goes whole.
public struct DeltaReferencePlanner: Sendable {
    struct Placed: Sendable {
        var offset: Int64
        var chunk: ChunkReference
    }

    struct Location: Sendable {
        var path: String
        var index: Int
    }

    public let maximumReferenceBytes: Int
    private let baseFiles: [String: [Placed]]
    private let baseOffsets: [String: [String: Int64]]
    private let baseByName: [String: String]
    private let targetFiles: [String: [Placed]]
    private let targetLocations: [String: Location]

    public init(base: Manifest, target: Manifest, maximumReferenceBytes: Int = 512 * 1024) {
        self.maximumReferenceBytes = maximumReferenceBytes
        func placed(_ manifest: Manifest) -> [String: [Placed]] {
            var files: [String: [Placed]] = [:]
            for entry in manifest.entries where entry.kind == .file {
                var offset: Int64 = 0
                files[entry.path] = entry.chunks.map { chunk in
                    defer { offset += Int64(chunk.size) }
                    return Placed(offset: offset, chunk: chunk)
                }
            }
            return files
        }
        baseFiles = placed(base)
        targetFiles = placed(target)
        var offsets: [String: [String: Int64]] = [:]
        var byName: [String: String] = [:]
        for (path, chunks) in baseFiles.sorted(by: { $0.key < $1.key }) {
            var first: [String: Int64] = [:]
            for placed in chunks where first[placed.chunk.hash] == nil { first[placed.chunk.hash] = placed.offset }
            offsets[path] = first
            let name = String(path.split(separator: "/").last ?? Substring(path))
            if byName[name] == nil { byName[name] = path }
        }
        baseOffsets = offsets
        baseByName = byName
        var locations: [String: Location] = [:]
        for (path, chunks) in targetFiles.sorted(by: { $0.key < $1.key }) {
            for (index, placed) in chunks.enumerated() where locations[placed.chunk.hash] == nil {
                locations[placed.chunk.hash] = Location(path: path, index: index)
            }
        }
        targetLocations = locations
    }

    /// The old file the new chunk `hash` is matched with (same path, else same name) and its
    /// chunks in order: where to look for content that moved within the file.
    public func baseFile(for hash: String) -> (path: String, chunks: [ChunkReference])? {
        guard let location = targetLocations[hash], let path = basePath(for: location.path), let base = baseFiles[path], !base.isEmpty else { return nil }
        return (path, base.map(\.chunk))
    }

    private func basePath(for path: String) -> String? {
        baseFiles[path] != nil ? path : baseByName[String(path.split(separator: "/").last ?? "")]
    }

    /// The old chunks to encode the new chunk `hash` against, in the order both sides
    /// concatenate them; empty when the old version has nothing near it.
    public func references(for hash: String) -> [ChunkReference] {
        guard let location = targetLocations[hash], let target = targetFiles[location.path] else { return [] }
        guard let basePath = basePath(for: location.path), let base = baseFiles[basePath], let shared = baseOffsets[basePath], !base.isEmpty else { return [] }
        let placed = target[location.index]
        // The nearest shared chunk before and after: where the old file lines up with the
        // new, the nearer one first (right after an insertion the chunk before lines up;
        // right before the insertion's end, the chunk after).
        var anchored: [(distance: Int, offset: Int64)] = []
        for index in stride(from: location.index - 1, through: 0, by: -1) {
            if let old = shared[target[index].chunk.hash] {
                anchored.append((location.index - index, old + (placed.offset - target[index].offset)))
                break
            }
        }
        for index in (location.index + 1)..<max(location.index + 1, target.count) {
            if let old = shared[target[index].chunk.hash] {
                anchored.append((index - location.index, old - (target[index].offset - placed.offset)))
                break
            }
        }
        var estimates = anchored.sorted { $0.distance < $1.distance }.map(\.offset)
        estimates.append(placed.offset)
        var chosen: [ChunkReference] = []
        var seen = Set<String>()
        var bytes = 0
        for estimate in estimates {
            let clamped = min(max(0, estimate), max(0, base.last!.offset))
            // The old chunk holding the estimate, and one on either side.
            var holder = 0, upper = base.count - 1
            while holder < upper {
                let middle = (holder + upper + 1) / 2
                if base[middle].offset <= clamped { holder = middle } else { upper = middle - 1 }
            }
            for index in [holder, holder + 1, holder - 1] where base.indices.contains(index) {
                let chunk = base[index].chunk
                guard chunk.hash != hash, bytes + chunk.size <= maximumReferenceBytes, seen.insert(chunk.hash).inserted else { continue }
                chosen.append(chunk)
                bytes += chunk.size
            }
        }
        return chosen
    }
}
