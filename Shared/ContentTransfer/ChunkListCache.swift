public import ContentStore

/// The unique chunks of recently asked-about versions held in a store, so answering peers
/// (who-has datagrams, have lists, chunk reads) does not decode a manifest for each one.
public final class ChunkListCache: Sendable {
    private struct ChunkList: Sendable {
        let hashes: [String]
        let set: Set<String>
    }

    public let store: ChunkStore
    private let lists: VersionCache<ChunkList>

    public init(store: ChunkStore, capacity: Int = 16) {
        self.store = store
        lists = VersionCache(capacity: capacity)
    }

    /// The version's unique chunk hashes in manifest order; nil when its manifest is not stored.
    public func chunks(_ version: String) -> [String]? { list(version)?.hashes }

    /// Whether `chunk` belongs to the version; false when its manifest is not stored.
    public func contains(_ version: String, chunk: String) -> Bool { list(version)?.set.contains(chunk) ?? false }

    /// Whether the store holds chunks of the version: (any, every one).
    public func holdings(_ version: String) -> (any: Bool, complete: Bool) {
        guard let hashes = chunks(version) else { return (false, false) }
        let missing = store.missing(hashes).count
        return (missing < hashes.count, missing == 0)
    }

    /// One character per unique chunk in manifest order: "1" held, "0" not; nil without the
    /// manifest. What ``HTTPContentSource`` reads at ``DataPlanePath/versionHeldChunks``.
    public func haveList(_ version: String) -> String? {
        guard let hashes = chunks(version) else { return nil }
        return String(hashes.map { store.contains($0) ? "1" : "0" })
    }

    private func list(_ version: String) -> ChunkList? {
        lists.value(version) {
            guard store.hasManifest(version), let manifest = try? store.manifest(version) else { return nil }
            let hashes = manifest.uniqueChunks.map(\.hash)
            return ChunkList(hashes: hashes, set: Set(hashes))
        }
    }
}
