import ContentStore
import Foundation
import GRDB
import Messages
import ServiceKit
import Store

/// What importing a prestaged file on a DP did.
public struct PrestagedImportSummary: Codable, Sendable, Equatable {
    public var content: String
    public var version: Int
    public var versionID: String
    public var storedChunks: Int
    public var presentChunks: Int
    public var storedBytes: Int64
}

extension DistributionPointContent {
    /// Records a version whose chunks and manifest a prestaged file brought (SPEC C9): it is
    /// verified like a pushed one and then served; the site learns of it from the PTM's next
    /// question or from `ferry dp import`.
    func installPrestaged(_ manifest: VerifiedManifest, header: PrestagedHeader, session: PrestagedImport) async throws -> PrestagedImportSummary {
        caches.inFlight.settle(manifest.manifest.uniqueChunks.map(\.hash))
        caches.forget(manifest.versionID)
        let verification = try await verify(VerifyVersion(contentName: header.content, versionID: manifest.versionID))
        guard verification.complete else {
            throw PrestagedFileError("version \(manifest.versionID) does not verify here (\(verification.missing.count) chunks missing, \(verification.corrupt.count) corrupt, now removed): import the file again")
        }
        metrics.counter("ferry_dp_prestaged_imports_total").increment()
        metrics.counter("ferry_dp_prestaged_bytes_total").increment(by: Int(session.storedBytes))
        logger.info("prestaged content imported", metadata: [
            "content": "\(header.content)", "version": "\(header.version)", "version-id": "\(manifest.versionID)",
            "stored-chunks": "\(session.storedChunks)", "present-chunks": "\(session.presentChunks)", "bytes": "\(session.storedBytes)",
            "exported-from": "\(header.exportedFrom)"])
        return PrestagedImportSummary(content: header.content, version: header.version, versionID: manifest.versionID,
                                      storedChunks: session.storedChunks, presentChunks: session.presentChunks, storedBytes: session.storedBytes)
    }

    /// Removes what a refused import stored, except chunks a transfer in flight named meanwhile.
    func rollBack(_ session: PrestagedImport) {
        let inFlight = caches.inFlight, now = clock.now
        session.rollback { hash in inFlight.isNamed(hash, now: now) }
    }
}
