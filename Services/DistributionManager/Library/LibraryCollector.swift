import ContentStore
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import ServiceLifecycle
import Store

/// Drops retired versions from the site library (SPEC C3): their manifests, then every
/// chunk no remaining manifest names.
///
/// It holds the ``LibraryLock`` alone, so an import in flight (chunks stored, version not
/// yet recorded) is never collected. A `retiredVersion` row is deleted only after its
/// collection finished, so a crash runs it again at the next start; running it twice
/// removes nothing more.
final class LibraryCollector: Service, Sendable {
    let database: ServiceDatabase
    let library: ChunkStore
    let lock: LibraryLock
    let logger: Logger
    let metrics: ServiceMetrics
    private let signal = WakeSignal()

    init(database: ServiceDatabase, library: ChunkStore, lock: LibraryLock, logger: Logger, metrics: ServiceMetrics) {
        self.database = database
        self.library = library
        self.lock = lock
        self.logger = logger
        self.metrics = metrics
    }

    func wake() { signal.wake() }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.collectIfDue()
                await self.signal.idle()
            }
        }
    }

    /// Collects when a retirement left work; returns what was removed (nil: nothing to do).
    @discardableResult
    func collectIfDue() async -> CollectionReport? {
        do {
            // Rows whose version id a kept version still has need no manifest removed.
            let retired = try await database.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT contentName, number, versionID, versionID IN (SELECT versionID FROM contentVersion) AS kept FROM retiredVersion
                    """).map { (content: $0["contentName"] as String, number: $0["number"] as Int, versionID: $0["versionID"] as String,
                                kept: $0["kept"] as Bool) }
            }
            guard !retired.isEmpty else { return nil }
            let library = library
            let dropping = retired.filter { !$0.kept }.map(\.versionID)
            await lock.lockExclusive()
            let report: CollectionReport
            do {
                report = try await Blocking.run {
                    for versionID in dropping { try library.removeManifest(versionID) }
                    return try library.collectUnreferencedChunks { _, delete in delete() }
                }
            } catch {
                await lock.unlockExclusive()
                throw error
            }
            await lock.unlockExclusive()
            try await database.write { db in
                for row in retired {
                    try db.execute(sql: "DELETE FROM retiredVersion WHERE contentName = ? AND number = ?", arguments: [row.content, row.number])
                }
            }
            metrics.counter("ferry_library_collected_chunks_total").increment(by: report.removedChunks)
            metrics.counter("ferry_library_collected_bytes_total").increment(by: Int(report.removedBytes))
            logger.info("site library collected", metadata: [
                "versions": "\(retired.map { "\($0.content) v\($0.number)" }.joined(separator: ", "))", "removed-chunks": "\(report.removedChunks)",
                "removed-bytes": "\(report.removedBytes)", "unreadable-manifests": "\(report.unreadableManifests.count)"])
            return report
        } catch {
            logger.error("cannot collect the site library", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
