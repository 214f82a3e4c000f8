import ContentStore
import ContentTransfer
import Foundation
import Logging
import Messages
import ServiceKit
import Store
import GRDB
import Metrics

/// The DP's content logic: which chunks it lacks, accepting pushed chunks and manifests,
/// and verifying whole versions. No sockets here; the bus and HTTP layers call it.
struct DistributionPointContent: Sendable {
    /// The library's current folder; a move (SPEC C11) switches it while the DP serves.
    let library: LibraryLocation
    let database: ServiceDatabase
    let clock: any ServiceClock
    let logger: Logger
    let metrics: ServiceMetrics
    let caches = DistributionPointCaches()

    init(store: ChunkStore, database: ServiceDatabase, clock: any ServiceClock, logger: Logger, metrics: ServiceMetrics) {
        library = LibraryLocation(store)
        self.database = database
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
    }

    /// The store as it is now; ask again for each use (a move switches it).
    var store: ChunkStore { library.current }

    /// True when `chunk` belongs to `version` (so a download token opens only its version).
    func versionContains(_ version: String, chunk: String) -> Bool {
        served(version)?.chunks.contains(chunk) ?? false
    }

    /// The version as served: decoded and checked against the held chunks once, then kept in
    /// memory. Nil when the DP lacks its manifest, or the manifest names a chunk the DP does not
    /// hold or lies about a chunk's size (logged once per check).
    func served(_ version: String) -> ServedVersion? {
        if let known = caches.served(version) { return known }
        guard store.hasManifest(version), let manifest = try? store.manifest(version) else { return nil }
        do {
            let served = try ServedVersion(manifest: manifest, checkedAgainst: store)
            caches.remember(served, of: version)
            return served
        } catch {
            logger.warning("not serving a version whose manifest does not match its chunks", metadata: [
                "version-id": "\(version)", "reason": "\(error)"])
            return nil
        }
    }

    /// Counts a client of a version once (SPEC P6); repeated requests cost no write.
    /// Only versions the DP serves count: a token for a version it lacks is no client of it.
    func recordClient(_ client: String, version: String) {
        guard served(version) != nil, caches.firstSighting(of: client, version: version) else { return }
        let database = database
        let seenAt = clock.now.timeIntervalSince1970
        Task {
            do {
                try await database.write { db in
                    try db.execute(sql: "INSERT OR IGNORE INTO clientHit (versionID, client, firstSeenAt) VALUES (?, ?, ?)",
                                   arguments: [version, client, seenAt])
                }
            } catch {
                logger.error("cannot record a client hit", metadata: ["error": "\(error)"])
            }
        }
        metrics.counter("ferry_dp_client_hits_total").increment()
    }

    /// Unique clients per content on this DP, pull DPs counted as clients (SPEC P6).
    func usage() async throws -> DistributionPointUsageReply {
        try await database.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT COALESCE(installedVersion.contentName, '(unknown)') AS content, COUNT(DISTINCT clientHit.client) AS clients
                FROM clientHit LEFT JOIN installedVersion ON installedVersion.versionID = clientHit.versionID
                GROUP BY content ORDER BY content
                """)
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT client) FROM clientHit") ?? 0
            return DistributionPointUsageReply(contents: rows.map { ContentUsage(content: $0["content"], uniqueClients: $0["clients"]) },
                                               uniqueClients: total)
        }
    }

    /// Whether the version is installed (verified complete) here: what the PTM asks of a pull DP's sources (SPEC T5).
    func held(_ query: VersionHeldQuery) async throws -> VersionHeldReply {
        guard ContentHash.isValid(query.versionID) else {
            throw WireError(code: .invalidArgument, message: "'\(query.versionID.prefix(80))' is not a version id")
        }
        let installed = try await database.read { db in try InstalledVersion.exists(db, key: query.versionID) }
        return VersionHeldReply(versionID: query.versionID, installed: installed && store.hasManifest(query.versionID))
    }

    func missing(_ query: MissingChunksQuery) throws -> MissingChunksReply {
        if let bad = query.hashes.first(where: { !ContentHash.isValid($0) }) {
            throw WireError(code: .invalidArgument, message: "'\(bad.prefix(80))' is not a chunk hash")
        }
        // Noted before answering: a retirement's collection then keeps what the asker will
        // not send because it is held here now.
        caches.inFlight.note(query.hashes, at: clock.now)
        return MissingChunksReply(missing: store.missing(query.hashes))
    }

    /// Stores a pushed chunk after checking its hash; a stored chunk that no longer matches
    /// its hash is replaced. Returns true when bytes were written.
    func acceptChunk(_ data: Data, hash: String) throws -> Bool {
        // Every authorised push counts here, stored or not: it is what crossed the network.
        metrics.counter("ferry_dp_received_chunk_bytes_total").increment(by: data.count)
        if holdsIntact(hash) { return false }
        return try storeChecked(data, hash: hash)
    }

    /// Whether the store holds the chunk intact; a corrupt copy is removed (and false).
    func holdsIntact(_ hash: String) -> Bool {
        guard store.contains(hash) else { return false }
        if store.isIntact(hash) { return true }
        logger.warning("replacing a corrupt stored chunk", metadata: ["chunk": "\(hash)"])
        try? FileManager.default.removeItem(at: store.chunkURL(hash))
        return false
    }

    /// Writes a chunk after checking its hash, counting what was stored.
    func storeChecked(_ data: Data, hash: String) throws -> Bool {
        caches.inFlight.note([hash], at: clock.now)
        let stored = try store.write(data, expectedHash: hash)
        if stored {
            metrics.counter("ferry_dp_stored_chunk_bytes_total").increment(by: data.count)
            metrics.counter("ferry_dp_stored_chunks_total").increment()
        }
        return stored
    }

    /// Stores a pushed manifest once its id matches its bytes, it decodes and passes the manifest
    /// rules, and every chunk it names is held here with the size it claims (the PTM pushes the
    /// chunks first). A refused manifest stores nothing.
    func acceptManifest(_ data: Data, versionID: String) throws {
        guard ContentHash.isValid(versionID) else { throw ContentStoreError.invalidHash(versionID) }
        let actual = ContentHash.sha256Hex(data)
        guard actual == versionID else { throw ContentStoreError.hashMismatch(expected: versionID, actual: actual) }
        let served = try ServedVersion(manifest: try Manifest.decode(data), checkedAgainst: store)
        try store.storeManifest(data, versionID: versionID)
        caches.inFlight.settle(served.chunks)
        caches.remember(served, of: versionID)
    }

    /// Re-hashes every chunk of a version; a complete version is recorded as installed.
    ///
    /// An incomplete one is no longer served or recorded as installed, and its corrupt
    /// chunks are removed: the site's repair (or the retry after a push) then finds them
    /// missing and sends exactly those again (SPEC C10).
    func verify(_ request: VerifyVersion) async throws -> VerifyVersionReply {
        guard ContentHash.isValid(request.versionID) else {
            throw WireError(code: .invalidArgument, message: "'\(request.versionID.prefix(80))' is not a version id")
        }
        guard store.hasManifest(request.versionID) else {
            return VerifyVersionReply(versionID: request.versionID, complete: false, missing: ["manifest"], corrupt: [])
        }
        let store = store
        let verifiedAt = clock.now.timeIntervalSince1970
        let report = try await Blocking.run { store.verify(try store.manifest(request.versionID)) }
        if report.isComplete {
            try await database.write { db in
                try InstalledVersion(versionID: request.versionID, contentName: request.contentName,
                                     verifiedAt: verifiedAt).save(db)
            }
            logger.info("version verified", metadata: ["content": "\(request.contentName)", "version-id": "\(request.versionID)", "outcome": "installed"])
        } else {
            for hash in report.corrupt { try? FileManager.default.removeItem(at: store.chunkURL(hash)) }
            caches.forget(request.versionID)
            try await database.write { db in
                _ = try InstalledVersion.deleteOne(db, key: request.versionID)
            }
            logger.warning("version incomplete", metadata: ["content": "\(request.contentName)", "version-id": "\(request.versionID)",
                                                            "missing": "\(report.missing.count)", "corrupt": "\(report.corrupt.count)"])
        }
        return VerifyVersionReply(versionID: request.versionID, complete: report.isComplete, missing: report.missing, corrupt: report.corrupt)
    }
}

/// In-memory memos of the DP: versions as served, and clients already counted.
final class DistributionPointCaches: Sendable {
    /// At most this many decoded versions stay in memory (a 10,000-file manifest is a few MB).
    static let servedLimit = 64
    private let servedVersions = VersionCache<ServedVersion>(capacity: DistributionPointCaches.servedLimit)
    private let seenClients = Mutex(Set<String>())
    /// Chunks of transfers in flight, which a collection keeps though no manifest names them yet.
    let inFlight = InFlightChunks()

    func served(_ version: String) -> ServedVersion? { servedVersions.value(version) }

    func remember(_ served: ServedVersion, of version: String) { servedVersions.remember(served, for: version) }

    func forget(_ version: String) { servedVersions.forget(version) }

    func firstSighting(of client: String, version: String) -> Bool {
        seenClients.withLock { $0.insert(version + "|" + client).inserted }
    }
}
