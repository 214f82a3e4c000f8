import ContentStore
import Foundation
import Hummingbird
import ServiceKit

/// The agent's peer cache (SPEC M6, S4): manifests and verified chunks, for agents of its
/// own subnet only, and which chunks of a version it holds (`/content/V/have`). Chunks are checked when stored, and the asking peer checks again.
enum PeerCacheRoutes {
    static func add(to router: Router<ServiceRequestContext>, store: ChunkStore, chunkLists: ChunkListCache, subnet: AddressRange) {
        @Sendable func refuse(_ context: ServiceRequestContext) -> Response? {
            guard let text = context.remoteAddress?.ipAddress, let address = AddressRange.parse(text), subnet.contains(address) else {
                return HTTPResponses.error(.forbidden, "the peer cache serves only its own subnet")
            }
            return nil
        }
        router.get("/content/:version/manifest") { _, context -> Response in
            if let refusal = refuse(context) { return refusal }
            let version = context.parameters.get("version") ?? ""
            guard ContentHash.isValid(version) else { return HTTPResponses.error(.badRequest, "invalid version id") }
            guard let data = try? store.manifestData(version) else { return HTTPResponses.error(.notFound, "no version \(version)") }
            return HTTPResponses.data(data, contentType: "application/json")
        }
        // Which chunks this cache holds, so a peer asks only for those (no 404 per missing chunk).
        router.get("/content/:version/have") { _, context -> Response in
            if let refusal = refuse(context) { return refusal }
            let version = context.parameters.get("version") ?? ""
            guard ContentHash.isValid(version) else { return HTTPResponses.error(.badRequest, "invalid version id") }
            guard let list = chunkLists.haveList(version) else { return HTTPResponses.error(.notFound, "no version \(version)") }
            return HTTPResponses.data(Data(list.utf8), contentType: "text/plain")
        }
        router.get("/content/:version/chunks/:hash") { _, context -> Response in
            if let refusal = refuse(context) { return refusal }
            let version = context.parameters.get("version") ?? ""
            let hash = context.parameters.get("hash") ?? ""
            guard ContentHash.isValid(version), ContentHash.isValid(hash) else {
                return HTTPResponses.error(.badRequest, "invalid version id or chunk hash")
            }
            guard let data = try? store.read(hash) else { return HTTPResponses.error(.notFound, "no chunk \(hash)") }
            return HTTPResponses.data(data)
        }
    }
}
