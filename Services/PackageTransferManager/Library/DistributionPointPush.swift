import ContentStore
import ContentTransfer
import Foundation
import HTTPTransfer
import Messages

/// The PTM's pushes to a standard DP (SPEC T2): the destination the chunk fetcher hands
/// verified chunks from the site library to, and the manifest once they are all there.
struct DistributionPointPush: ChunkDestination {
    let http: HTTPClient
    let distributionPoint: DistributionPointAddress
    /// The job's transfer token, asked for each request (it is renewed as it nears expiry).
    let authorization: @Sendable () async throws -> HTTPRequestOptions

    /// False: what the DP lacks was asked over the bus before the fetch, and a
    /// redistribution copies every chunk again.
    func holds(_ hash: String) -> Bool { false }

    func accept(_ chunk: VerifiedBytes) async throws {
        let response = try await http.put(distributionPoint.httpURL + DataPlanePath.storedChunk.path(hash: chunk.hash), body: chunk.data,
                                          options: try await authorization())
        guard response.isSuccess else {
            throw TransferFailure("DP \(distributionPoint.name) refused chunk \(chunk.hash): HTTP \(response.status) \(Self.text(response.body))")
        }
    }

    /// Pushes the manifest (after its chunks: the DP refuses one naming chunks it lacks).
    func pushManifest(_ manifest: VerifiedManifest) async throws {
        let response = try await http.put(distributionPoint.httpURL + DataPlanePath.storedManifest.path(version: manifest.versionID),
                                          body: manifest.data, options: try await authorization())
        guard response.isSuccess else {
            throw TransferFailure("DP \(distributionPoint.name) refused the manifest: HTTP \(response.status) \(Self.text(response.body))")
        }
    }

    static func text(_ body: Data) -> String {
        String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
