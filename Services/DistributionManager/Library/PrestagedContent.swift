import Bus
import Clocks
import ContentStore
import ContentTransfer
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import Store

/// Prestaged content at the site (SPEC C9): tickets to export a version from the library or
/// a DP, to upload a prestaged file to a DP, and to restore the library of a rebuilt site
/// from one; and the record of a DP's import, checked with the DP before it is believed.
final class PrestagedContent: Sendable {
    /// Tokens of a ticket last this long: an export or upload of many GB over a slow link takes hours.
    static let ticketLifetime: TimeInterval = 6 * 3600
    static let restoreScope = "restore"

    let database: ServiceDatabase
    let clock: any ServiceClock
    let node: String
    let signer: SiteTokenSigner
    let distributions: Distributions
    let topology: SiteTopology
    let connections: PeerConnections
    let logger: Logger
    let libraryURL: @Sendable () -> String

    init(database: ServiceDatabase, clock: any ServiceClock, node: String, signer: SiteTokenSigner, distributions: Distributions,
         topology: SiteTopology, connections: PeerConnections, logger: Logger, libraryURL: @escaping @Sendable () -> String) {
        self.database = database
        self.clock = clock
        self.node = node
        self.signer = signer
        self.distributions = distributions
        self.topology = topology
        self.connections = connections
        self.logger = logger
        self.libraryURL = libraryURL
    }

    private func token(scope: String, audience: [String], versionID: String) throws -> String {
        let now = clock.now
        return try signer.sign(SiteTokenClaims(scope: scope, subject: "admin", audience: audience, versionID: versionID, issuedAt: now,
                                               expiresAt: now.addingTimeInterval(Self.ticketLifetime)))
    }

    // MARK: Tickets

    func export(_ request: ExportContent) async throws -> ContentExportTicket {
        let (record, version, point) = try await database.read { db -> (ContentRecord, VersionRecord, DistributionPointRecord?) in
            guard let record = try ContentRecord.fetchOne(db, key: request.name) else {
                throw WireError(code: .notFound, message: "no content named '\(request.name)'")
            }
            let number = request.version ?? record.currentVersion
            guard let version = try VersionRecord.fetchOne(db, key: ["contentName": record.name, "number": number]) else {
                let kept = try VersionRecord.filter(Column("contentName") == record.name).order(Column("number")).fetchAll(db).map { "\($0.number)" }
                throw WireError(code: .notFound, message: "'\(record.name)' has no version \(number) (kept: \(kept.joined(separator: ", ")))")
            }
            guard let name = request.fromDistributionPoint else { return (record, version, nil) }
            let point = try DistributionPointRecord.require(name, db)
            guard try InstalledVersionRecord.fetchOne(db, key: ["distributionPoint": point.name, "versionID": version.versionID]) != nil else {
                throw WireError(code: .notFound, message: "\(point.name) does not hold '\(record.name)' version \(version.number); export it from the site library (leave out --from-dp)")
            }
            return (record, version, point)
        }
        let summary = ContentCatalog.summary(record, version, rule: distributions.differential)
        if let point {
            return ContentExportTicket(content: summary, version: version.summary, sourceName: point.name, sourceURL: point.httpURL,
                                       fromDistributionPoint: true, token: try token(scope: "transfer", audience: [point.name], versionID: version.versionID))
        }
        return ContentExportTicket(content: summary, version: version.summary, sourceName: node, sourceURL: libraryURL(),
                                   fromDistributionPoint: false, token: try token(scope: "transfer", audience: [], versionID: version.versionID))
    }

    func importTicket(_ request: PrestagedImportTicketRequest) async throws -> UploadTicket {
        let point = try await database.read { db -> DistributionPointRecord in
            let point = try DistributionPointRecord.require(request.distributionPoint, db)
            guard try VersionRecord.filter(Column("versionID") == request.versionID).fetchCount(db) > 0 else {
                throw WireError(code: .notFound, message: "the site has no version \(request.versionID.prefix(64)); on a rebuilt site, 'ferry library restore FILE' first")
            }
            return point
        }
        return UploadTicket(url: point.httpURL + DataPlanePath.storedPrestaged.path(),
                            token: try token(scope: "transfer", audience: [point.name], versionID: request.versionID))
    }

    func restoreTicket(_ request: LibraryRestoreTicketRequest) throws -> UploadTicket {
        guard ContentHash.isValid(request.versionID) else {
            throw WireError(code: .invalidArgument, message: "'\(request.versionID.prefix(80))' is not a version id")
        }
        return UploadTicket(url: libraryURL() + DataPlanePath.libraryRestore.path(),
                            token: try token(scope: Self.restoreScope, audience: [node], versionID: request.versionID))
    }

    // MARK: A DP's library

    /// Relays a library move (or the question how it stands) to the DP, which does it on its own host (SPEC C11).
    func moveLibrary(_ request: MoveLibrary) async throws -> LibraryMoveStatus {
        let point = try await database.read { db in try DistributionPointRecord.require(request.distributionPoint, db) }
        let client = try connections.client(name: point.name, endpoint: point.busEndpoint, publicKey: point.publicKey)
        return try await client.request(request, timeout: .seconds(60))
    }

    // MARK: A DP's import

    /// Asks the DP whether it holds the version, and only then records it installed there:
    /// the target waiting for prestaged content is done, or a new one says where it came from.
    func record(_ request: RecordPrestagedImport) async throws -> PrestagedImportRecorded {
        let (point, version) = try await database.read { db -> (DistributionPointRecord, VersionRecord) in
            let point = try DistributionPointRecord.require(request.distributionPoint, db)
            guard let version = try VersionRecord.filter(Column("versionID") == request.versionID).fetchOne(db) else {
                throw WireError(code: .notFound, message: "the site has no version \(request.versionID.prefix(64))")
            }
            return (point, version)
        }
        let client = try connections.client(name: point.name, endpoint: point.busEndpoint, publicKey: point.publicKey)
        let held = try await client.request(VersionHeldQuery(versionID: version.versionID), timeout: .seconds(30))
        guard held.installed else {
            return PrestagedImportRecorded(distributionPoint: point.name, content: version.contentName, version: version.number, installed: false,
                                           detail: "\(point.name) does not hold version \(version.number) verified; nothing recorded")
        }
        let now = clock.now.timeIntervalSince1970
        let detail = try await database.write { [distributions, topology] db -> String in
            try InstalledVersionRecord(distributionPoint: point.name, versionID: version.versionID, installedAt: now).save(db)
            var outcome = "recorded as held by \(point.name)"
            if var target = try TargetRecord.fetchOne(db, key: ["contentName": version.contentName, "distributionPoint": point.name]) {
                if target.versionID == version.versionID || version.number > target.version {
                    target.version = version.number
                    target.versionID = version.versionID
                    target.state = .installed
                    target.bytesTotal = version.totalBytes
                    target.bytesDone = version.totalBytes
                    target.reason = "imported from a prestaged content file"
                    target.updatedAt = now
                    try target.update(db)
                    outcome = "installed on \(point.name) from a prestaged content file"
                }
            } else {
                try TargetRecord(contentName: version.contentName, distributionPoint: point.name, version: version.number,
                                 versionID: version.versionID, state: .installed, jobID: UUID().uuidString, bytesDone: version.totalBytes,
                                 bytesTotal: version.totalBytes, attempts: 0, reason: "imported from a prestaged content file", updatedAt: now,
                                 origin: "prestaged").insert(db)
                outcome = "installed on \(point.name) from a prestaged content file"
            }
            try topology.enqueueSnapshot(db)
            try distributions.retireReplacedVersions(of: version.contentName, db)
            return outcome
        }
        logger.info("prestaged import recorded", metadata: ["dp": "\(point.name)", "content": "\(version.contentName)", "version": "\(version.number)"])
        return PrestagedImportRecorded(distributionPoint: point.name, content: version.contentName, version: version.number, installed: true,
                                       detail: detail)
    }
}
