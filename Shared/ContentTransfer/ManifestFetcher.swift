public import ContentStore
public import Logging

/// The one way a version's manifest is fetched: from the first source that serves one
/// that hashes to the version id, decoded and validated once.
public struct ManifestFetcher: Sendable {
    /// Where a source that fails is logged (nil: not logged).
    public var logger: Logger?

    public init(logger: Logger? = nil) { self.logger = logger }

    /// The manifest from `sources` in turn; throws ``ContentTransferError/exhausted(what:failures:)``
    /// naming every source's failure when none served a good one.
    public func fetch(_ versionID: String, from sources: [any ContentSource]) async throws -> VerifiedManifest {
        var failures: [String] = []
        for source in sources {
            do {
                return try await fetch(versionID, from: source)
            } catch let error as CancellationError {
                throw error
            } catch {
                logger?.warning("manifest fetch failed; trying the next source", metadata: ["source": "\(source.id)", "error": "\(error)"])
                failures.append("\(error)")
            }
        }
        throw ContentTransferError.exhausted(what: "the manifest of version \(versionID.prefix(12))", failures: failures)
    }

    /// The manifest from one source; throws ``ContentTransferError`` when it does not hold it,
    /// serves it corrupt, or cannot be asked.
    public func fetch(_ versionID: String, from source: any ContentSource) async throws -> VerifiedManifest {
        guard let data = try await source.manifestData(of: versionID) else {
            throw ContentTransferError.notHeld(source: source.id, what: "the manifest")
        }
        do {
            return try VerifiedManifest(data: data, versionID: versionID)
        } catch {
            throw ContentTransferError.corrupt(source: source.id, what: "manifest for version \(versionID.prefix(12))", reason: "\(error)")
        }
    }

    /// The manifest from `store` when it holds it; otherwise from `sources`, stored once checked.
    public func manifest(_ versionID: String, store: ChunkStore, sources: [any ContentSource]) async throws -> Manifest {
        if store.hasManifest(versionID) { return try store.manifest(versionID) }
        let verified = try await fetch(versionID, from: sources)
        try store.storeManifest(verified)
        return verified.manifest
    }
}
