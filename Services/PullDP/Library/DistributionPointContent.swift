import ContentStore
import Foundation
import Logging
import Messages
import ServiceKit
import Store

/// The DP's content logic: which chunks it lacks, accepting pushed chunks and manifests,
/// and verifying whole versions. No sockets here; the bus and HTTP layers call it.
struct DistributionPointContent: Sendable {
    let store: ChunkStore
    let database: ServiceDatabase
    let logger: Logger
    let metrics: MetricsRegistry

    func missing(_ query: MissingChunksQuery) throws -> MissingChunksReply {
        if let bad = query.hashes.first(where: { !ContentHash.isValid($0) }) {
            throw WireError(code: .invalidArgument, message: "'\(bad.prefix(80))' is not a chunk hash")
        }
        return MissingChunksReply(missing: store.missing(query.hashes))
    }

    /// Stores a pushed chunk after checking its hash; a stored chunk that no longer matches
    /// its hash is replaced. Returns true when bytes were written.
    func acceptChunk(_ data: Data, hash: String) throws -> Bool {
        // Every authorised push counts here, stored or not: it is what crossed the network.
        metrics.increment("ferry_dp_received_chunk_bytes_total", by: Double(data.count), help: "Chunk bytes received by push")
        if store.contains(hash) {
            if store.isIntact(hash) { return false }
            logger.warning("replacing a corrupt stored chunk", metadata: ["chunk": "\(hash)"])
            try? FileManager.default.removeItem(at: store.chunkURL(hash))
        }
        let stored = try store.write(data, expectedHash: hash)
        if stored {
            metrics.increment("ferry_dp_stored_chunk_bytes_total", by: Double(data.count), help: "Pushed chunk bytes newly stored")
            metrics.increment("ferry_dp_stored_chunks_total", help: "Pushed chunks newly stored")
        }
        return stored
    }

    func acceptManifest(_ data: Data, versionID: String) throws {
        try store.storeManifest(data, versionID: versionID)
    }

    /// Re-hashes every chunk of a version; a complete version is recorded as installed.
    func verify(_ request: VerifyVersion) async throws -> VerifyVersionReply {
        guard ContentHash.isValid(request.versionID) else {
            throw WireError(code: .invalidArgument, message: "'\(request.versionID.prefix(80))' is not a version id")
        }
        guard store.hasManifest(request.versionID) else {
            return VerifyVersionReply(versionID: request.versionID, complete: false, missing: ["manifest"], corrupt: [])
        }
        let store = store
        let report = try await Blocking.run { store.verify(try store.manifest(request.versionID)) }
        if report.isComplete {
            try await database.write { db in
                try InstalledVersion(versionID: request.versionID, contentName: request.contentName,
                                     verifiedAt: Date().timeIntervalSince1970).save(db)
            }
            logger.info("version verified", metadata: ["content": "\(request.contentName)", "version-id": "\(request.versionID)", "outcome": "installed"])
        } else {
            logger.warning("version incomplete", metadata: ["content": "\(request.contentName)", "version-id": "\(request.versionID)",
                                                            "missing": "\(report.missing.count)", "corrupt": "\(report.corrupt.count)"])
        }
        return VerifyVersionReply(versionID: request.versionID, complete: report.isComplete, missing: report.missing, corrupt: report.corrupt)
    }
}
