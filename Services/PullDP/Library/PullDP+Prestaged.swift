public import ServiceKit
public import Foundation
import ContentStore
import Logging
import Store

extension PullDP {
    /// Imports a prestaged file into the DP's library on the DP's own host, with the DP
    /// running or stopped (SPEC C9): every chunk is verified, then the version, and it is
    /// recorded as installed; the site learns of it when the PTM next asks the DP (or at
    /// once with `ferry dp import`). A refused file keeps nothing.
    ///
    /// - Parameter progress: called with the bytes read so far, about every MiB.
    public static func importPrestaged(configuration: ConfigurationFile, file: URL, clock: any ServiceClock,
                                       progress: ((Int64) -> Void)? = nil) async throws -> PrestagedImportSummary {
        let common = try configuration.decode(CommonSettings.self)
        let settings = try configuration.decode(PullDPSettings.self)
        let database = try ServiceDatabase(url: common.dataURL.appendingPathComponent("pulldp.sqlite"),
                                           migrator: DistributionPointDatabase.migrator)
        let store = try ChunkStore(root: settings.libraryURL(dataURL: common.dataURL))
        let content = DistributionPointContent(store: store, database: database, clock: clock, logger: Logger(label: serviceName),
                                               metrics: ServiceMetrics())
        let session = PrestagedImport(store: store, maximumChunkSize: settings.maximumChunkSize ?? 8 * 1024 * 1024)
        let manifest = try session.importFile(file, approve: { _ in }, progress: progress)
        guard let header = session.header else { throw PrestagedFileError("the file is truncated") }
        do {
            return try await content.installPrestaged(manifest, header: header, session: session)
        } catch {
            content.rollBack(session)
            throw error
        }
    }
}
