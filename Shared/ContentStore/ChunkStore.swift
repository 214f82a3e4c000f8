#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What `ChunkStore.verify` found wrong with a manifest's chunks.
public struct VerificationReport: Sendable, Equatable, Codable {
    /// Chunks not in the store.
    public var missing: [String]
    /// Chunks in the store whose bytes no longer hash to their name.
    public var corrupt: [String]
    public var isComplete: Bool { missing.isEmpty && corrupt.isEmpty }
    public init(missing: [String] = [], corrupt: [String] = []) {
        self.missing = missing
        self.corrupt = corrupt
    }
}

/// Single-instance chunk store on disk: one file per chunk at `root/chunks/ab/<hash>`, manifests at
/// `root/manifests/<versionID>.json`. Every write goes to a temporary file in `root/tmp` and is renamed into
/// place, so a crash never leaves a partial chunk or manifest under its final name. Several processes and
/// threads may share one store.
public final class ChunkStore: Sendable {
    public let root: URL
    /// When true, every chunk and manifest is fsynced before it is renamed into place.
    public let synchronizesWrites: Bool
    private let chunksPath: String
    private let manifestsPath: String
    private let temporaryPath: String

    /// Opens (creating if needed) a store at `root`. Temporary files older than a day, left by a crash, are removed.
    public init(root: URL, synchronizesWrites: Bool = false) throws {
        let root = root.standardizedFileURL
        self.root = root
        self.synchronizesWrites = synchronizesWrites
        let rootPath = root.path
        chunksPath = rootPath + "/chunks"
        manifestsPath = rootPath + "/manifests"
        temporaryPath = rootPath + "/tmp"
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        } catch {
            if try FileSystem.status(rootPath).kind != .directory { throw ContentStoreError.notADirectory(rootPath) }
            throw ContentStoreError.io("cannot create store folder \(ContentStoreError.quoted(rootPath)): \(error.localizedDescription)")
        }
        guard try FileSystem.status(rootPath).kind == .directory else { throw ContentStoreError.notADirectory(rootPath) }
        for path in [chunksPath, manifestsPath, temporaryPath] {
            try FileSystem.makeDirectory(path)
        }
    }

    /// Removes temporary files (from interrupted writes) last changed more than `age`
    /// seconds before `now` (the service clock's time; services do this when they open
    /// their store, see `ServiceHost.openStore`).
    public func removeStaleTemporaryFiles(olderThan age: TimeInterval, now: Date) {
        guard let names = try? FileSystem.directoryEntries(temporaryPath) else { return }
        let limit = now.addingTimeInterval(-age)
        for name in names {
            let url = URL(fileURLWithPath: temporaryPath + "/" + name)
            if let modified = try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate,
               modified < limit {
                unlink(url.path)
            }
        }
    }

    // MARK: Chunks

    /// Where the chunk named `hash` lives (`root/chunks/ab/<hash>`). An invalid hash gets a path under
    /// `root/chunks/invalid`, where nothing is ever stored.
    public func chunkURL(_ hash: String) -> URL {
        URL(fileURLWithPath: chunkPath(hash))
    }

    private func chunkPath(_ hash: String) -> String {
        guard ContentHash.isValid(hash) else { return chunksPath + "/invalid/invalid" }
        return chunksPath + "/" + hash.prefix(2) + "/" + hash
    }

    public func contains(_ hash: String) -> Bool {
        ContentHash.isValid(hash) && FileSystem.isRegularFile(chunkPath(hash))
    }

    /// The size in bytes of a stored chunk, or nil when the store does not hold it.
    public func storedSize(_ hash: String) -> Int? {
        guard ContentHash.isValid(hash), let status = try? FileSystem.status(chunkPath(hash)), status.kind == .file else { return nil }
        return Int(status.size)
    }

    /// The stored bytes of a chunk (not re-hashed; see `readVerified`). Throws `.missingChunk`, `.invalidHash`, `.io`.
    public func read(_ hash: String) throws -> Data {
        try ContentHash.require(hash)
        guard let data = try FileSystem.readWholeFile(chunkPath(hash)) else { throw ContentStoreError.missingChunk(hash) }
        return data
    }

    /// The stored bytes of a chunk after checking they hash to `hash` (throws `.hashMismatch` if corrupt).
    public func readVerified(_ hash: String) throws -> Data {
        let data = try read(hash)
        let actual = ContentHash.sha256Hex(data)
        guard actual == hash else { throw ContentStoreError.hashMismatch(expected: hash, actual: actual) }
        return data
    }

    /// Verifies sha256(data) == expectedHash before storing (throws `.hashMismatch` and stores nothing).
    /// Returns true if newly stored, false if already present.
    @discardableResult
    public func write(_ data: Data, expectedHash: String) throws -> Bool {
        try write(VerifiedBytes(data: data, hash: expectedHash))
    }

    /// Stores a chunk already checked against its hash. Returns true if newly stored, false if already present.
    @discardableResult
    public func write(_ chunk: VerifiedBytes) throws -> Bool {
        try chunk.data.withUnsafeBytes { try storeVerified($0, hash: chunk.hash) }
    }

    /// Stores `data` under its hash; returns the hash and whether it was newly stored.
    public func write(_ data: Data) throws -> (hash: String, newlyStored: Bool) {
        let hash = ContentHash.sha256Hex(data)
        let stored = try data.withUnsafeBytes { try storeVerified($0, hash: hash) }
        return (hash, stored)
    }

    /// Stores bytes whose hash the caller has just computed.
    /// Stores a chunk checked against its hash over any copy held, in one rename, so a reader
    /// sees the old file or the new one, never none (a redistribution copies every chunk again, SPEC C5).
    public func replace(_ chunk: VerifiedBytes) throws {
        _ = try chunk.data.withUnsafeBytes { try storeVerified($0, hash: chunk.hash, overwrite: true) }
    }

    func storeVerified(_ bytes: UnsafeRawBufferPointer, hash: String, overwrite: Bool = false) throws -> Bool {
        let finalPath = chunkPath(hash)
        if !overwrite, FileSystem.isRegularFile(finalPath) { return false }
        let folder = chunksPath + "/" + hash.prefix(2)
        try FileSystem.writeAtomically(bytes, temporaryPath: temporaryPath + "/" + hash + "." + FileSystem.uniqueSuffix(),
                                       finalPath: finalPath, sync: synchronizesWrites) {
            try FileSystem.makeDirectory(folder)
        }
        return true
    }

    /// The hashes of `hashes` that are not stored (invalid ones included), in order, without repeats.
    public func missing(_ hashes: [String]) -> [String] {
        var seen = Set<String>()
        return hashes.filter { seen.insert($0).inserted && !contains($0) }
    }

    /// Re-reads and re-hashes a stored chunk; false if it is missing or corrupt.
    public func isIntact(_ hash: String) -> Bool {
        guard let data = try? read(hash) else { return false }
        return ContentHash.sha256Hex(data) == hash
    }

    /// Number of stored chunks.
    public func chunkCount() throws -> Int {
        var count = 0
        try forEachStoredChunk { _, _ in count += 1 }
        return count
    }

    /// Total size of the stored chunks, in bytes.
    public func storedBytes() throws -> Int64 {
        var total: Int64 = 0
        try forEachStoredChunk { _, size in total += size }
        return total
    }

    /// Calls `body` with the hash and size of every stored chunk.
    public func forEachStoredChunk(_ body: (String, Int64) throws -> Void) throws {
        for folder in try FileSystem.directoryEntries(chunksPath) where folder.utf8.count == 2 {
            let folderPath = chunksPath + "/" + folder
            guard try FileSystem.linkStatus(folderPath).kind == .directory else { continue }
            for name in try FileSystem.directoryEntries(folderPath) where ContentHash.isValid(name) && name.hasPrefix(folder) {
                let status = try FileSystem.linkStatus(folderPath + "/" + name)
                if status.kind == .file { try body(name, status.size) }
            }
        }
    }

    // MARK: Manifests

    private func manifestPath(_ versionID: String) -> String {
        manifestsPath + "/" + versionID + ".json"
    }

    /// Validates with `Manifest.decode` and that sha256(data) == versionID; stores the exact bytes.
    public func storeManifest(_ data: Data, versionID: String) throws {
        try storeManifest(VerifiedManifest(data: data, versionID: versionID))
    }

    /// Stores the exact bytes of a manifest already checked and decoded (no second decode).
    public func storeManifest(_ verified: VerifiedManifest) throws {
        let versionID = verified.versionID
        let data = verified.data
        let finalPath = manifestPath(versionID)
        if FileSystem.isRegularFile(finalPath) { return }
        let manifestsPath = self.manifestsPath
        try data.withUnsafeBytes { bytes in
            try FileSystem.writeAtomically(bytes, temporaryPath: temporaryPath + "/" + versionID + ".json." + FileSystem.uniqueSuffix(),
                                           finalPath: finalPath, sync: synchronizesWrites) {
                try FileSystem.makeDirectory(manifestsPath)
            }
        }
    }

    /// Encodes `manifest` canonically, stores it and returns its version id.
    @discardableResult
    public func storeManifest(_ manifest: Manifest) throws -> String {
        let data = try manifest.canonicalData()
        let versionID = ContentHash.sha256Hex(data)
        try storeManifest(data, versionID: versionID)
        return versionID
    }

    public func hasManifest(_ versionID: String) -> Bool {
        ContentHash.isValid(versionID) && FileSystem.isRegularFile(manifestPath(versionID))
    }

    /// The stored bytes of a manifest, checked against the version id (throws `.hashMismatch` if corrupt).
    public func manifestData(_ versionID: String) throws -> Data {
        try ContentHash.require(versionID)
        guard let data = try FileSystem.readWholeFile(manifestPath(versionID)) else {
            throw ContentStoreError.io("manifest \(versionID) is not in the store at \(ContentStoreError.quoted(root.path))")
        }
        let actual = ContentHash.sha256Hex(data)
        guard actual == versionID else { throw ContentStoreError.hashMismatch(expected: versionID, actual: actual) }
        return data
    }

    public func manifest(_ versionID: String) throws -> Manifest {
        try Manifest.decode(try manifestData(versionID))
    }

    /// Version ids of every stored manifest.
    public func manifestIDs() throws -> [String] {
        try FileSystem.directoryEntries(manifestsPath).compactMap { name in
            guard name.hasSuffix(".json") else { return nil }
            let id = String(name.dropLast(5))
            return ContentHash.isValid(id) ? id : nil
        }
    }

    // MARK: Verification

    /// Checks every chunk of the manifest is present, re-hashes to its name, and has the
    /// size the manifest declares (a manifest that lies about sizes is not servable).
    public func verify(_ manifest: Manifest) -> VerificationReport {
        var report = VerificationReport()
        for chunk in manifest.uniqueChunks {
            if !contains(chunk.hash) {
                report.missing.append(chunk.hash)
            } else if let data = try? read(chunk.hash), data.count == chunk.size, ContentHash.sha256Hex(data) == chunk.hash {
                continue
            } else {
                report.corrupt.append(chunk.hash)
            }
        }
        return report
    }
}
