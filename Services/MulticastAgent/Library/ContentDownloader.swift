import Clocks
import ContentStore
import ContentTransfer
import Delta
import Foundation
import HTTPTransfer
import Logging
import Messages

/// The agent's way to content: its DPs and peers as ContentTransfer sources (with the MP's
/// download token, from the agent's own address), and the fetchers over its chunk store.
///
/// Every chunk is verified before it is stored; chunks already stored (from an earlier
/// version, multicast, or before a restart) are not fetched again.
struct ContentDownloader: Sendable {
    let store: ChunkStore
    let http: HTTPClient
    let localAddress: String
    let clock: any ServiceClock
    let logger: Logger
    /// Chunk requests kept in flight at once (`MulticastAgentSettings.parallelDownloads`).
    var parallelRequests = MulticastAgentSettings.defaultParallelDownloads

    struct Result: Sendable {
        var manifest: Manifest
        var bytesFetched: Int64
        /// The DP the download finished from.
        var source: String
    }

    var fetcher: ChunkFetcher { ChunkFetcher(requestsInFlight: parallelRequests, clock: clock, logger: logger) }
    var manifests: ManifestFetcher { ManifestFetcher(logger: logger) }

    /// Fetches one version from `points` in their order: a DP that fails a chunk is left, and
    /// the next one is asked for what is still missing. Throws ``ContentTransferError`` when no
    /// DP gave everything.
    ///
    /// - Parameter base: a version of the same content this agent holds: the first DP is
    ///   asked for the missing chunks as deltas against it first (SPEC C3).
    func download(versionID: String, base: String? = nil, from points: [LocatedDistributionPoint], token: String,
                  progress: (_ done: Int64, _ total: Int64, _ source: String) async -> Void) async throws -> Result {
        let sources = distributionPoints(points, token: token)
        let manifest = try await manifests.manifest(versionID, store: store, sources: sources)
        let chunks = manifest.uniqueChunks
        var deltaBytes: Int64 = 0
        if let base, base != versionID, store.hasManifest(base), let first = points.first {
            let lacking = chunks.filter { !store.contains($0.hash) }
            let outcome = await DeltaFetcher(store: store, http: http).fetch(lacking, of: versionID, base: base, from: first.httpURL) { [localAddress] in
                HTTPRequestOptions(headers: ["Authorization": "Bearer \(token)"], timeoutSeconds: 300, localAddress: localAddress)
            }
            deltaBytes = Int64(outcome.bytes)
            logger.info("chunks rebuilt from deltas", metadata: ["dp": "\(first.name)", "base": "\(base.prefix(12))", "rebuilt": "\(outcome.rebuilt)",
                                                               "of": "\(lacking.count)", "bytes": "\(outcome.bytes)", "stopped": "\(outcome.stoppedBecause ?? "-")"])
        }
        let total = chunks.reduce(Int64(0)) { $0 + Int64($1.size) }
        let present = total - store.missingBytes(of: chunks)
        let report = try await fetcher.fetch(chunks, of: versionID, from: sources, into: store, whenAChunkFails: .abandonSource) { step in
            await progress(present + step.bytesFetched, total, step.source.name)
        }
        try report.requireComplete("every chunk of version \(versionID.prefix(12))")
        return Result(manifest: manifest, bytesFetched: report.bytesFetched + deltaBytes, source: report.completedBy?.name ?? points.first?.name ?? "?")
    }

    /// The DPs of a content-location answer, in its order.
    func distributionPoints(_ points: [LocatedDistributionPoint], token: String) -> [any ContentSource] {
        points.map { HTTPContentSource.distributionPoint(name: $0.name, baseURL: $0.httpURL, http: http, localAddress: localAddress, token: token) }
    }

    /// Peers' caches at `urls` (they check the same download token a DP does, with the site's public key).
    func peers(_ urls: [String], token: String) -> [any ContentSource] {
        urls.map { HTTPContentSource.peer(baseURL: $0, http: http, localAddress: localAddress, token: token) }
    }
}

extension ChunkStore {
    /// The bytes of `chunks` this store does not hold.
    func missingBytes(of chunks: [ChunkReference]) -> Int64 {
        chunks.filter { !contains($0.hash) }.reduce(Int64(0)) { $0 + Int64($1.size) }
    }
}
