import ContentStore
import Foundation
import GRDB
import Messages
import ServiceKit
import Store

extension DistributionPointContent {
    /// Drops versions a newer full version replaced and collects every chunk no remaining
    /// manifest names (SPEC C3's five-increment rule), keeping the chunks of transfers in flight.
    ///
    /// The installed record goes first, then the manifest, then the chunks: a crash at any
    /// point leaves at worst unreferenced chunks, which the PTM's retry of the same command
    /// collects (it is acknowledged only once this returns).
    func retire(_ request: RetireVersions) async throws -> RetireVersionsReply {
        if let bad = request.versionIDs.first(where: { !ContentHash.isValid($0) }) {
            throw WireError(code: .invalidArgument, message: "'\(bad.prefix(80))' is not a version id")
        }
        try await database.write { db in
            for versionID in request.versionIDs { _ = try InstalledVersion.deleteOne(db, key: versionID) }
        }
        var removed: [String] = []
        for versionID in request.versionIDs {
            caches.forget(versionID)
            if try store.removeManifest(versionID) { removed.append(versionID) }
        }
        let store = store, inFlight = caches.inFlight, now = clock.now
        inFlight.prune(now: now)
        let report = try await Blocking.run {
            try store.collectUnreferencedChunks { hash, delete in inFlight.removeUnlessNamed(hash, now: now, delete: delete) }
        }
        metrics.counter("ferry_dp_collected_chunks_total").increment(by: report.removedChunks)
        metrics.counter("ferry_dp_collected_bytes_total").increment(by: Int(report.removedBytes))
        logger.info("versions retired", metadata: [
            "content": "\(request.contentName)", "versions": "\(removed.map { String($0.prefix(12)) }.joined(separator: ","))",
            "removed-chunks": "\(report.removedChunks)", "removed-bytes": "\(report.removedBytes)",
            "kept-in-flight": "\(report.keptUnreferenced)", "unreadable-manifests": "\(report.unreadableManifests.count)"])
        return RetireVersionsReply(removedVersions: removed, removedChunks: report.removedChunks, removedBytes: report.removedBytes,
                                   keptInFlight: report.keptUnreferenced)
    }
}
