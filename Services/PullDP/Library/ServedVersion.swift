import ContentStore
import Foundation

/// A version as the DP serves it: its manifest decoded once, checked against the chunks the DP
/// holds, with its files indexed by path and its chunk set, so a request costs no re-read,
/// re-hash or decode of the manifest.
struct ServedVersion: Sendable {
    let manifest: Manifest
    let files: [String: ManifestEntry]
    let chunks: Set<String>

    /// Checks `manifest` against `store`: every chunk it names must be held, and be exactly
    /// the size every reference to it claims (a manifest whose sizes lie would otherwise make the
    /// DP announce a length it cannot send). Throws `.missingChunk` or `.malformedManifest`.
    init(manifest: Manifest, checkedAgainst store: ChunkStore) throws {
        var sizes: [String: Int] = [:]
        for entry in manifest.entries where entry.kind == .file {
            for chunk in entry.chunks {
                if let known = sizes[chunk.hash] {
                    guard known == chunk.size else {
                        throw ContentStoreError.malformedManifest(
                            "chunk \(chunk.hash) is listed with sizes \(known) and \(chunk.size) (file '\(entry.path)')")
                    }
                    continue
                }
                guard let held = store.storedSize(chunk.hash) else {
                    throw ContentStoreError.missingChunk(chunk.hash)
                }
                guard held == chunk.size else {
                    throw ContentStoreError.malformedManifest(
                        "file '\(entry.path)' lists chunk \(chunk.hash) as \(chunk.size) bytes, but it has \(held)")
                }
                sizes[chunk.hash] = held
            }
        }
        self.manifest = manifest
        var files: [String: ManifestEntry] = [:]
        for entry in manifest.entries where entry.kind == .file { files[entry.path] = entry }
        self.files = files
        chunks = Set(sizes.keys)
    }
}
