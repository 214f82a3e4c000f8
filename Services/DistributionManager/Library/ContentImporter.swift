import ContentStore
import Foundation
import Logging
import Messages
import ServiceKit

/// Imports a source folder into the site's content library: chunks and manifest stored,
/// off the cooperative pool, with one log line saying what was new.
struct ContentImporter: Sendable {
    let library: ChunkStore
    let chunking: ChunkingParameters
    let logger: Logger

    func importFolder(_ source: URL) async throws -> ImportResult {
        let importer = FolderImporter(store: library, parameters: chunking)
        let library = library
        let started = ContinuousClock.now
        let result: ImportResult
        do {
            result = try await Blocking.run {
                let result = try importer.importFolder(at: source)
                try library.storeManifest(try result.manifest.canonicalData(), versionID: result.versionID)
                return result
            }
        } catch let error as ContentStoreError {
            throw WireError(code: .invalidArgument, message: "cannot import \(source.path): \(error)")
        }
        logger.info("imported folder", metadata: [
            "source": "\(source.path)", "files": "\(result.manifest.fileCount)", "bytes": "\(result.totalBytes)",
            "new-chunks": "\(result.newChunks)", "reused-chunks": "\(result.reusedChunks)",
            "seconds": "\(String(format: "%.2f", (ContinuousClock.now - started).timeInterval))"])
        return result
    }
}
