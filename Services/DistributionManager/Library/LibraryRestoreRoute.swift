import ContentStore
import ContentTransfer
import Foundation
import GRDB
import Hummingbird
import Logging
import Messages
import ServiceKit
import Store

/// What restoring a prestaged file into the site library did.
struct LibraryRestoreSummary: Codable, Sendable {
    var content: String
    var version: Int
    var versionID: String
    /// The content was not known to the site and was created from the file's header.
    var createdContent: Bool
    var storedChunks: Int
    var presentChunks: Int
    var storedBytes: Int64
}

/// `POST /library/restore`: a prestaged file into the site library (SPEC C9, the seed's
/// restore of a rebuilt site's content library), read as it arrives and checked throughout.
///
/// A version the site's records know gets its files back; a content the site does not know
/// is created from the file's header (name, type, priority, version number). The library is
/// held alone meanwhile, so a refused file's chunks can be taken out again: nothing partial stays.
struct LibraryRestoreRoute: Sendable {
    let library: ChunkStore
    let lock: LibraryLock
    let verifier: SiteTokenVerifier
    let database: ServiceDatabase
    let clock: any ServiceClock
    let topology: SiteTopology
    let node: String
    let logger: Logger

    func register(on router: Router<ServiceRequestContext>) {
        router.post(RouterPath(DataPlanePath.libraryRestore.pattern)) { request, _ -> Response in
            try await restore(request)
        }
    }

    private func check(_ request: Request, versionID: String? = nil) -> Response? {
        guard case .failure(let refusal) = verifier.check(request, scope: PrestagedContent.restoreScope, versionID: versionID, audience: node) else {
            return nil
        }
        return refusal.response
    }

    private func restore(_ request: Request) async throws -> Response {
        if let refusal = check(request) { return refusal }
        await lock.lockExclusive()
        let session = PrestagedImport(store: library)
        do {
            var createsContent = false
            for try await buffer in request.body {
                if try session.consume(buffer.readableBytesView) == .awaitingApproval, let header = session.header {
                    if let refusal = check(request, versionID: header.versionID) {
                        await lock.unlockExclusive()
                        return refusal
                    }
                    createsContent = try await admissible(header)
                    session.approve()
                    try session.consume(EmptyCollection<UInt8>())
                }
            }
            let manifest = try session.finish()
            guard let header = session.header else { throw PrestagedFileError("the file is truncated") }
            let report = library.verify(manifest.manifest)
            guard report.isComplete else {
                throw PrestagedFileError("the restored version does not verify in the library (\(report.missing.count) missing, \(report.corrupt.count) corrupt)")
            }
            if createsContent { try await create(header, manifest: manifest) }
            await lock.unlockExclusive()
            logger.info("library restored from a prestaged file", metadata: [
                "content": "\(header.content)", "version": "\(header.version)", "version-id": "\(header.versionID)",
                "created-content": "\(createsContent)", "stored-chunks": "\(session.storedChunks)", "bytes": "\(session.storedBytes)"])
            return HTTPResponses.json(LibraryRestoreSummary(content: header.content, version: header.version, versionID: header.versionID,
                                                            createdContent: createsContent, storedChunks: session.storedChunks,
                                                            presentChunks: session.presentChunks, storedBytes: session.storedBytes))
        } catch {
            session.rollback()
            await lock.unlockExclusive()
            logger.warning("refused a prestaged file for the library", metadata: ["reason": "\(error)", "bytes-read": "\(session.bytesRead)"])
            let status: HTTPResponse.Status = (error as? WireError)?.code == .conflict ? .conflict : .unprocessableContent
            return HTTPResponses.error(status, "library restore refused: \(error)")
        }
    }

    /// Whether the site can take the file's version: one its records know by the same id
    /// (false: nothing to create), or a content it does not know (true: created once the file checks out).
    private func admissible(_ header: PrestagedHeader) async throws -> Bool {
        let name = try ContentName.valid(header.content)
        guard ContentType(rawValue: header.type) != nil, Priority(rawValue: header.priority) != nil, header.version >= 1 else {
            throw PrestagedFileError("the file's header names an unknown content type, priority or version")
        }
        return try await database.read { db in
            guard try ContentRecord.exists(db, key: name) else { return true }
            if let known = try VersionRecord.fetchOne(db, key: ["contentName": name, "number": header.version]) {
                guard known.versionID == header.versionID else {
                    throw WireError(code: .conflict, message: "'\(name)' version \(header.version) at this site is another version (\(known.versionID.prefix(12))), not \(header.versionID.prefix(12))")
                }
                return false
            }
            throw WireError(code: .conflict, message: "'\(name)' exists here without version \(header.version); the library restores versions the site's records know, or contents it does not know")
        }
    }

    private func create(_ header: PrestagedHeader, manifest: VerifiedManifest) async throws {
        let now = clock.now.timeIntervalSince1970
        let record = ContentRecord(name: header.content, type: header.type, priority: header.priority,
                                   sourcePath: "(restored from a prestaged file of \(header.exportedFrom))", currentVersion: header.version,
                                   createdAt: now, distributeOnDemand: false)
        let version = VersionRecord(contentName: header.content, number: header.version, versionID: header.versionID,
                                    totalBytes: manifest.manifest.totalSize, fileCount: manifest.manifest.fileCount,
                                    chunkCount: manifest.manifest.uniqueChunks.count, createdAt: now, chainPosition: header.chainPosition ?? 0)
        try await database.write { [topology] db in
            try record.insert(db)
            try version.insert(db)
            try topology.enqueueSnapshot(db)
        }
    }
}
