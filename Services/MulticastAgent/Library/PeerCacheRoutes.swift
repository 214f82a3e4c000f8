import ContentStore
import ContentTransfer
import Foundation
import Hummingbird
import ServiceKit

/// The agent's peer cache (SPEC M6, S4): manifests and verified chunks, for agents of its
/// own subnet only, and which chunks of a version it holds (`/content/V/have`). Chunks are
/// checked when stored, and the asking peer checks again.
///
/// A peer must show the download token the MP gave it for the version (as a DP would want:
/// signed by the site, for peer caches, issued to the address that connects), and gets only
/// chunks of that version.
enum PeerCacheRoutes {
    static func add(to router: Router<ServiceRequestContext>, store: ChunkStore, chunkLists: ChunkListCache, subnet: AddressRange,
                    verifier: SiteTokenVerifier) {
        @Sendable func refuse(_ request: Request, _ context: ServiceRequestContext, version: String) -> Response? {
            guard let text = context.remoteAddress?.ipAddress, let address = AddressRange.parse(text), subnet.contains(address) else {
                return HTTPResponses.error(.forbidden, "the peer cache serves only its own subnet")
            }
            guard ContentHash.isValid(version) else { return HTTPResponses.error(.badRequest, "invalid version id") }
            if case .failure(let refusal) = verifier.check(request, scope: "download", versionID: version,
                                                           audience: SiteTokenClaims.peerCacheAudience, subject: text) {
                return refusal.response
            }
            return nil
        }
        router.get(RouterPath(DataPlanePath.versionManifest.pattern)) { request, context -> Response in
            let version = context.parameters.get(DataPlanePath.Parameter.version) ?? ""
            if let refusal = refuse(request, context, version: version) { return refusal }
            guard let data = try? store.manifestData(version) else { return HTTPResponses.error(.notFound, "no version \(version)") }
            return HTTPResponses.data(data, contentType: "application/json")
        }
        // Which chunks this cache holds, so a peer asks only for those (no 404 per missing chunk).
        router.get(RouterPath(DataPlanePath.versionHeldChunks.pattern)) { request, context -> Response in
            let version = context.parameters.get(DataPlanePath.Parameter.version) ?? ""
            if let refusal = refuse(request, context, version: version) { return refusal }
            guard let list = chunkLists.haveList(version) else { return HTTPResponses.error(.notFound, "no version \(version)") }
            return HTTPResponses.data(Data(list.utf8), contentType: "text/plain")
        }
        router.get(RouterPath(DataPlanePath.versionChunk.pattern)) { request, context -> Response in
            let version = context.parameters.get(DataPlanePath.Parameter.version) ?? ""
            if let refusal = refuse(request, context, version: version) { return refusal }
            let hash = context.parameters.get(DataPlanePath.Parameter.hash) ?? ""
            guard ContentHash.isValid(hash) else { return HTTPResponses.error(.badRequest, "invalid chunk hash") }
            // Only chunks of the version the token opens: no reading any chunk by hash.
            guard chunkLists.contains(version, chunk: hash), let data = try? store.read(hash) else {
                return HTTPResponses.error(.notFound, "no chunk \(hash) in version \(version)")
            }
            return HTTPResponses.data(data)
        }
    }
}
