#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What a garbage collection of the store removed and kept.
public struct CollectionReport: Sendable, Equatable {
    public var removedChunks = 0
    public var removedBytes: Int64 = 0
    /// Chunks no manifest names that the caller kept (a transfer in flight named them).
    public var keptUnreferenced = 0
    /// Manifests that no longer decode; their chunks counted as unreferenced.
    public var unreadableManifests: [String] = []
    public init() {}
}

extension ChunkStore {
    /// Removes a version's manifest; false when the store did not hold it.
    @discardableResult
    public func removeManifest(_ versionID: String) throws -> Bool {
        try ContentHash.require(versionID)
        let path = root.path + "/manifests/" + versionID + ".json"
        guard FileSystem.isRegularFile(path) else { return false }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw ContentStoreError.io("cannot remove manifest \(versionID): \(String(cString: strerror(errno)))")
        }
        return true
    }

    /// Removes one chunk file; false when it was not there.
    @discardableResult
    public func removeChunk(_ hash: String) -> Bool {
        guard ContentHash.isValid(hash) else { return false }
        return unlink(chunkURL(hash).path) == 0
    }

    /// Every chunk the stored manifests name.
    ///
    /// A manifest that does not decode names nothing (its version cannot be served or sent
    /// anyway); it is listed in `unreadable`.
    public func referencedChunks() throws -> (chunks: Set<String>, unreadable: [String]) {
        var referenced = Set<String>()
        var unreadable: [String] = []
        for versionID in try manifestIDs() {
            guard let manifest = try? manifest(versionID) else {
                unreadable.append(versionID)
                continue
            }
            for chunk in manifest.uniqueChunks { referenced.insert(chunk.hash) }
        }
        return (referenced, unreadable)
    }

    /// Removes every chunk that no stored manifest names, unless `remove` declines it.
    ///
    /// `remove` is called for each unreferenced chunk with a function that deletes it; the
    /// caller decides under its own lock (a DP keeps the chunks of transfers in flight, the
    /// site library holds its import lock), so a chunk named concurrently is never lost.
    /// Safe to run again after a crash: it only ever removes what nothing names.
    public func collectUnreferencedChunks(_ remove: (_ hash: String, _ delete: () -> Bool) -> Bool) throws -> CollectionReport {
        let (referenced, unreadable) = try referencedChunks()
        var report = CollectionReport()
        report.unreadableManifests = unreadable
        var unreferenced: [(String, Int64)] = []
        try forEachStoredChunk { hash, size in
            if !referenced.contains(hash) { unreferenced.append((hash, size)) }
        }
        for (hash, size) in unreferenced {
            if remove(hash, { self.removeChunk(hash) }) {
                report.removedChunks += 1
                report.removedBytes += size
            } else {
                report.keptUnreferenced += 1
            }
        }
        return report
    }
}
