import ContentStore
import Foundation

/// The unique chunk hashes of recently asked-about versions, so answering peers (who-has,
/// have lists) does not decode a manifest from disk for every datagram or request. A
/// version's chunk list never changes: its id is the manifest's hash.
final class ChunkListCache: @unchecked Sendable {
    let store: ChunkStore
    private let capacity: Int
    private let lock = NSLock()
    private var lists: [String: [String]] = [:]
    private var sets: [String: Set<String>] = [:]
    private var order: [String] = []

    init(store: ChunkStore, capacity: Int = 16) {
        self.store = store
        self.capacity = capacity
    }

    /// The version's unique chunk hashes in manifest order; nil when its manifest is not stored.
    func chunks(_ version: String) -> [String]? {
        if let cached = lock.withLock({ lists[version] }) { return cached }
        guard store.hasManifest(version), let manifest = try? store.manifest(version) else { return nil }
        let hashes = manifest.uniqueChunks.map(\.hash)
        lock.withLock {
            if lists[version] == nil {
                lists[version] = hashes
                sets[version] = Set(hashes)
                order.append(version)
                if order.count > capacity {
                    let evicted = order.removeFirst()
                    lists[evicted] = nil
                    sets[evicted] = nil
                }
            }
        }
        return hashes
    }

    /// Whether `chunk` belongs to the version; false when its manifest is not stored.
    func contains(_ version: String, chunk: String) -> Bool {
        if let set = lock.withLock({ sets[version] }) { return set.contains(chunk) }
        guard chunks(version) != nil else { return false }
        return lock.withLock { sets[version]?.contains(chunk) } ?? false
    }

    /// Whether this agent holds chunks of the version: (any, every one).
    func holdings(_ version: String) -> (any: Bool, complete: Bool) {
        guard let hashes = chunks(version) else { return (false, false) }
        let missing = store.missing(hashes).count
        return (missing < hashes.count, missing == 0)
    }

    /// One character per unique chunk in manifest order: "1" held, "0" not; nil without the manifest.
    func haveList(_ version: String) -> String? {
        guard let hashes = chunks(version) else { return nil }
        return String(hashes.map { store.contains($0) ? "1" : "0" })
    }
}
