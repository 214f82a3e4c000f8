public import ContentStore
import ContentTransfer
public import Foundation
public import HTTPTransfer

/// Asks a DP for chunks as deltas against a version the asker holds (SPEC C3), rebuilds and
/// verifies each, and stores it. What the DP leaves out, or what does not rebuild, stays
/// missing for the caller's ordinary fetch: deltas only ever save bytes.
public struct DeltaFetcher: Sendable {
    public struct Outcome: Sendable, Equatable {
        public var rebuilt = 0
        public var failed = 0
        /// Bytes of delta frames received.
        public var bytes = 0
        /// Why the DP gave no (more) deltas, if it did not.
        public var stoppedBecause: String?
    }

    public let store: ChunkStore
    public let http: HTTPClient
    /// Chunks asked for per request.
    public var batchSize = 512

    public init(store: ChunkStore, http: HTTPClient) {
        self.store = store
        self.http = http
    }

    /// Fetches deltas of `chunks` of `versionID` against `base` from the DP at `baseURL`,
    /// each request made with `options` (its token and source address).
    public func fetch(_ chunks: [ChunkReference], of versionID: String, base: String, from baseURL: String,
                      options: @Sendable () async throws -> HTTPRequestOptions) async -> Outcome {
        var outcome = Outcome()
        for start in stride(from: 0, to: chunks.count, by: batchSize) {
            let part = chunks[start..<min(chunks.count, start + batchSize)].map(\.hash)
            let wanted = Set(part)
            do {
                let response = try await http.post(baseURL + DataPlanePath.versionDeltaBatch.path(version: versionID),
                                                   body: ChunkBatch.request(hashes: [base] + part), options: try await options())
                guard response.isSuccess else {
                    outcome.stoppedBecause = "HTTP \(response.status)"
                    return outcome
                }
                outcome.bytes += response.body.count
                let store = store
                for frame in try DeltaBatch.frames(in: response.body, maximumChunkSize: 16 << 20) where wanted.contains(frame.hash) {
                    switch frame.rebuild(reading: { try? store.read($0) }) {
                    case .success(let data):
                        try store.write(data, expectedHash: frame.hash)
                        outcome.rebuilt += 1
                    case .failure:
                        outcome.failed += 1
                    }
                }
            } catch {
                outcome.stoppedBecause = "\(error)"
                return outcome
            }
        }
        return outcome
    }
}
