import ContentStore
import Foundation
import HTTPTransfer
import Logging
import Messages

/// Fetches one version from one DP into the agent's chunk store, verifying every chunk
/// before it is stored; chunks already stored (from an earlier version, or before a
/// restart) are not fetched again.
struct ContentDownloader: Sendable {
    let store: ChunkStore
    let http: HTTPClient
    let localAddress: String
    let logger: Logger

    struct Result: Sendable {
        var manifest: Manifest
        var bytesFetched: Int64
    }

    func download(versionID: String, from point: LocatedDistributionPoint, token: String,
                  progress: @Sendable (_ done: Int64, _ total: Int64) async -> Void) async throws -> Result {
        let options = HTTPRequestOptions(headers: ["Authorization": "Bearer \(token)"], timeoutSeconds: 300, localAddress: localAddress)
        let manifestData: Data
        if store.hasManifest(versionID) {
            manifestData = try store.manifestData(versionID)
        } else {
            let response = try await http.get("\(point.httpURL)/content/\(versionID)/manifest", options: options)
            guard response.status == 200 else { throw DownloadFailure("\(point.name) answered HTTP \(response.status) for the manifest") }
            guard ContentHash.sha256Hex(response.body) == versionID else {
                throw DownloadFailure("\(point.name) served a manifest that does not match version \(versionID)")
            }
            try store.storeManifest(response.body, versionID: versionID)
            manifestData = response.body
        }
        let manifest = try Manifest.decode(manifestData)
        let chunks = manifest.uniqueChunks
        let total = chunks.reduce(Int64(0)) { $0 + Int64($1.size) }
        var done = chunks.filter { store.contains($0.hash) }.reduce(Int64(0)) { $0 + Int64($1.size) }
        var fetched: Int64 = 0
        var lastReport = Date.distantPast
        for chunk in chunks where !store.contains(chunk.hash) {
            let response = try await http.get("\(point.httpURL)/content/\(versionID)/chunks/\(chunk.hash)", options: options)
            guard response.status == 200 else { throw DownloadFailure("\(point.name) answered HTTP \(response.status) for chunk \(chunk.hash)") }
            do {
                try store.write(response.body, expectedHash: chunk.hash)
            } catch {
                // A corrupt chunk is never kept: the caller moves on to the next DP.
                throw DownloadFailure("\(point.name) served a corrupt chunk \(chunk.hash.prefix(12)): \(error)")
            }
            done += Int64(response.body.count)
            fetched += Int64(response.body.count)
            if Date().timeIntervalSince(lastReport) > 0.5 {
                lastReport = Date()
                await progress(done, total)
            }
        }
        return Result(manifest: manifest, bytesFetched: fetched)
    }
}

struct DownloadFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
