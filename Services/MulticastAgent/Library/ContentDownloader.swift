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
    /// Chunk requests kept in flight at once (`MulticastAgentSettings.parallelDownloads`).
    var parallelRequests = MulticastAgentSettings.defaultParallelDownloads

    struct Result: Sendable {
        var manifest: Manifest
        var bytesFetched: Int64
    }

    func download(versionID: String, from point: LocatedDistributionPoint, token: String,
                  progress: @Sendable (_ done: Int64, _ total: Int64) async -> Void) async throws -> Result {
        let options = Self.distributionPointOptions(token: token, localAddress: localAddress)
        let manifest = try store.hasManifest(versionID)
            ? store.manifest(versionID)
            : try await fetchManifest(versionID, from: point.httpURL, source: point.name, options: options)
        let chunks = manifest.uniqueChunks
        let total = chunks.reduce(Int64(0)) { $0 + Int64($1.size) }
        var done = chunks.filter { store.contains($0.hash) }.reduce(Int64(0)) { $0 + Int64($1.size) }
        var fetched: Int64 = 0
        var lastReport = Date.distantPast
        try await fetchChunks(chunks.filter { !store.contains($0.hash) }, versionID: versionID, from: point.httpURL, source: point.name,
                              options: options) { chunk, outcome in
            guard let bytes = try outcome.get() else {
                throw DownloadFailure("\(point.name) answered HTTP 404 for chunk \(chunk.hash)")
            }
            done += bytes
            fetched += bytes
            if Date().timeIntervalSince(lastReport) > 0.5 {
                lastReport = Date()
                await progress(done, total)
            }
        }
        return Result(manifest: manifest, bytesFetched: fetched)
    }

    /// Fetches `chunks` from a DP or peer at `base` with up to `parallelRequests` requests in
    /// flight, asked for in order, and hands each outcome to `fetched` as it arrives: the
    /// bytes fetched once the chunk is stored (0 if it was already stored when its turn
    /// came, say by multicast), nil when the source does not have it (HTTP 404), or the error.
    ///
    /// One request per chunk waits a WAN round trip each: at 50 ms and 20 Mbit/s, a 64 KiB
    /// chunk would spend twice as long waiting as arriving. A few in flight keep the link busy.
    /// If `fetched` throws, no further chunk is asked for, the requests in flight are
    /// cancelled, those that still completed are handed to `fetched` too (so counts stay
    /// true), and the first error is thrown.
    func fetchChunks(_ chunks: [ChunkReference], versionID: String, from base: String, source: String, options: HTTPRequestOptions,
                     fetched: (ChunkReference, Swift.Result<Int64?, any Error>) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: (ChunkReference, Swift.Result<Int64?, any Error>).self) { group in
            var next = chunks.makeIterator()
            func requestNext() -> Bool {
                guard let chunk = next.next() else { return false }
                group.addTask {
                    if store.contains(chunk.hash) { return (chunk, .success(0)) }
                    do {
                        return (chunk, .success(try await fetchChunk(chunk.hash, versionID: versionID, from: base, source: source, options: options)))
                    } catch {
                        return (chunk, .failure(error))
                    }
                }
                return true
            }
            var started = 0
            while started < max(1, parallelRequests), requestNext() { started += 1 }
            var failure: (any Error)?
            while let (chunk, outcome) = try await group.next() {
                if failure != nil {
                    if case .success(let bytes?) = outcome { try? await fetched(chunk, .success(bytes)) }
                    continue
                }
                do {
                    try Task.checkCancellation()
                    try await fetched(chunk, outcome)
                    _ = requestNext()
                } catch {
                    failure = error
                    group.cancelAll()
                }
            }
            if let failure { throw failure }
        }
    }

    /// Fetches the version's manifest from a DP or peer at `base`, checks that it hashes to
    /// the version id, and stores it.
    func fetchManifest(_ versionID: String, from base: String, source: String, options: HTTPRequestOptions) async throws -> Manifest {
        let response = try await http.get("\(base)/content/\(versionID)/manifest", options: options)
        guard response.status == 200 else { throw DownloadFailure("\(source) answered HTTP \(response.status) for the manifest") }
        guard ContentHash.sha256Hex(response.body) == versionID else {
            throw DownloadFailure("\(source) served a manifest that does not match version \(versionID)")
        }
        try store.storeManifest(response.body, versionID: versionID)
        return try Manifest.decode(response.body)
    }

    /// Fetches one chunk from a DP or peer at `base` and stores it once its hash checks out;
    /// returns its size, or nil when the source does not have it (HTTP 404). A corrupt chunk
    /// is never kept: the caller moves on to the next source.
    func fetchChunk(_ hash: String, versionID: String, from base: String, source: String, options: HTTPRequestOptions) async throws -> Int64? {
        let response = try await http.get("\(base)/content/\(versionID)/chunks/\(hash)", options: options)
        guard response.status == 200 else {
            if response.status == 404 { return nil }
            throw DownloadFailure("\(source) answered HTTP \(response.status) for chunk \(hash)")
        }
        do {
            try store.write(response.body, expectedHash: hash)
        } catch {
            throw DownloadFailure("\(source) served a corrupt chunk \(hash.prefix(12)): \(error)")
        }
        return Int64(response.body.count)
    }

    /// The chunks a peer at `base` holds, from its have list (one request instead of a 404
    /// per chunk it lacks); nil when it cannot say, and then every chunk is asked for.
    func fetchHeldChunks(_ versionID: String, chunks: [ChunkReference], from base: String, options: HTTPRequestOptions) async -> Set<String>? {
        guard let response = try? await http.get("\(base)/content/\(versionID)/have", options: options),
              response.status == 200, response.body.count == chunks.count else { return nil }
        var held = Set<String>()
        for (chunk, flag) in zip(chunks, response.body) where flag == UInt8(ascii: "1") { held.insert(chunk.hash) }
        return held
    }

    /// A DP read: the MP's download token, from the agent's own address.
    static func distributionPointOptions(token: String, localAddress: String) -> HTTPRequestOptions {
        HTTPRequestOptions(headers: ["Authorization": "Bearer \(token)"], timeoutSeconds: 300, localAddress: localAddress)
    }

    /// A peer-cache read: the same download token a DP takes (peers check it with the
    /// site's public key), from the agent's own address.
    static func peerOptions(token: String, localAddress: String) -> HTTPRequestOptions {
        HTTPRequestOptions(headers: ["Authorization": "Bearer \(token)"], timeoutSeconds: 60, localAddress: localAddress)
    }
}

struct DownloadFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
