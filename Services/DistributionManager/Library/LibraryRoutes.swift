import ContentStore
import ContentTransfer
import Foundation
import Hummingbird
import ServiceKit
import Metrics
import NIOCore

/// The site content library over HTTP, for the PTM: manifests and chunks by hash, read
/// with a site-signed transfer token, which opens one version's manifest and chunks only.
struct LibraryRoutes: Sendable {
    let library: ChunkStore
    let verifier: SiteTokenVerifier
    let metrics: ServiceMetrics
    /// Each asked-about version's chunk set, so a chunk read decodes no manifest.
    private let versions: ChunkListCache

    init(library: ChunkStore, verifier: SiteTokenVerifier, metrics: ServiceMetrics) {
        self.library = library
        self.verifier = verifier
        self.metrics = metrics
        versions = ChunkListCache(store: library, capacity: 32)
    }

    func register(on router: Router<ServiceRequestContext>) {
        router.get(RouterPath(DataPlanePath.libraryChunk.pattern)) { request, context -> Response in
            let version: String
            switch tokenVersion(request) {
            case .version(let granted): version = granted
            case .refused(let refusal): return refusal
            }
            let hash = context.parameters.get(DataPlanePath.Parameter.hash) ?? ""
            guard ContentHash.isValid(hash) else { return HTTPResponses.error(.badRequest, "invalid chunk hash") }
            guard versions.contains(version, chunk: hash) else {
                return HTTPResponses.error(.forbidden, "chunk \(hash) is not part of the version this token opens")
            }
            guard let data = try? library.read(hash) else { return HTTPResponses.error(.notFound, "no chunk \(hash)") }
            metrics.counter("ferry_library_chunk_bytes_served_total").increment(by: data.count)
            return HTTPResponses.data(data)
        }
        router.post(RouterPath(DataPlanePath.libraryChunkBatch.pattern)) { request, _ -> Response in
            let version: String
            switch tokenVersion(request) {
            case .version(let granted): version = granted
            case .refused(let refusal): return refusal
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: ChunkBatch.maximumRequestHashes * 65)
            } catch {
                return HTTPResponses.error(.contentTooLarge, "ask for at most \(ChunkBatch.maximumRequestHashes) chunks at once")
            }
            guard let hashes = ChunkBatch.hashes(inRequest: Data(buffer: body)) else {
                return HTTPResponses.error(.badRequest, "the body must be chunk hashes, one per line")
            }
            if let outside = hashes.first(where: { !versions.contains(version, chunk: $0) }) {
                return HTTPResponses.error(.forbidden, "chunk \(outside) is not part of the version this token opens")
            }
            var frames = Data()
            for hash in hashes {
                // A chunk the library lacks is left out; the reader sees it missing.
                guard let data = try? library.read(hash) else { continue }
                ChunkBatch.append(hash: hash, data: data, to: &frames)
            }
            metrics.counter("ferry_library_chunk_bytes_served_total").increment(by: frames.count)
            return HTTPResponses.data(frames)
        }
        router.get(RouterPath(DataPlanePath.libraryManifest.pattern)) { request, context -> Response in
            let version = context.parameters.get(DataPlanePath.Parameter.version) ?? ""
            if let refusal = authorize(request, versionID: version) { return refusal }
            guard ContentHash.isValid(version) else { return HTTPResponses.error(.badRequest, "invalid version id") }
            guard let data = try? library.manifestData(version) else { return HTTPResponses.error(.notFound, "no manifest \(version)") }
            return HTTPResponses.data(data, contentType: "application/json")
        }
    }

    /// A transfer token (for `versionID`, where the route names one), whatever DP it is for:
    /// the PTM reads what it pushes to that DP.
    private func authorize(_ request: Request, versionID: String? = nil) -> Response? {
        if case .failure(let refusal) = verifier.check(request, scope: "transfer", versionID: versionID) { return refusal.response }
        return nil
    }

    /// The version a chunk read's transfer token opens: chunk routes name no version, so the
    /// token's decides which chunks may be read (a token for one version reads no other's).
    private func tokenVersion(_ request: Request) -> TokenGrant {
        switch verifier.check(request, scope: "transfer") {
        case .failure(let refusal): return .refused(refusal.response)
        case .success(let claims):
            guard let version = claims.versionID, ContentHash.isValid(version) else {
                return .refused(HTTPResponses.error(.forbidden, "this transfer token names no version"))
            }
            return .version(version)
        }
    }

    private enum TokenGrant {
        case version(String)
        case refused(Response)
    }
}
