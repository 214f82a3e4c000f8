public import ContentStore
public import Foundation
public import HTTPTransfer

/// A ``ContentSource`` over the data plane's HTTP paths (``DataPlanePath``): the site
/// library, a DP, or a peer's cache.
///
/// Every request carries `Authorization: Bearer <token>`, the token asked of `token` just
/// before the request (so a renewed token is used as soon as it exists). The site library
/// wants a transfer token; DPs and peer caches a download token for the version, issued to
/// the address the request comes from (`localAddress`).
public struct HTTPContentSource: ContentSource {
    /// Where on the server a version's manifest and chunks are.
    public enum Layout: Sendable {
        /// `/library/manifests/V`, `/library/chunks/H` (the site server).
        case siteLibrary
        /// `/content/V/manifest`, `/content/V/chunks/H` (a DP).
        case distributionPoint
        /// As a DP, plus `/content/V/have` (an agent's peer cache).
        case peer
    }

    /// The token for the next request.
    public typealias Token = @Sendable () async throws -> String

    public let id: ContentSourceID
    public let baseURL: String
    public let layout: Layout
    let http: HTTPClient
    let token: Token
    let timeoutSeconds: Double
    let localAddress: String?

    public init(id: ContentSourceID, baseURL: String, layout: Layout, http: HTTPClient = .shared, timeoutSeconds: Double,
                localAddress: String? = nil, token: @escaping Token) {
        self.id = id
        self.baseURL = baseURL
        self.layout = layout
        self.http = http
        self.token = token
        self.timeoutSeconds = timeoutSeconds
        self.localAddress = localAddress
    }

    /// The site library at `baseURL`, read with the PTM's transfer token (120 s per request).
    public static func siteLibrary(baseURL: String, http: HTTPClient = .shared, token: @escaping Token) -> HTTPContentSource {
        HTTPContentSource(id: ContentSourceID(kind: .siteLibrary, name: "the site library"), baseURL: baseURL, layout: .siteLibrary,
                          http: http, timeoutSeconds: 120, token: token)
    }

    /// A DP named `name` at `baseURL`, read with a download token from `localAddress` (300 s per request).
    public static func distributionPoint(name: String, baseURL: String, http: HTTPClient = .shared, localAddress: String?,
                                         token: String) -> HTTPContentSource {
        HTTPContentSource(id: ContentSourceID(kind: .distributionPoint, name: name), baseURL: baseURL, layout: .distributionPoint,
                          http: http, timeoutSeconds: 300, localAddress: localAddress) { token }
    }

    /// A peer's cache at `baseURL`, read with the same download token a DP takes (60 s per request).
    public static func peer(baseURL: String, http: HTTPClient = .shared, localAddress: String?, token: String) -> HTTPContentSource {
        HTTPContentSource(id: ContentSourceID(kind: .peer, name: baseURL), baseURL: baseURL, layout: .peer,
                          http: http, timeoutSeconds: 60, localAddress: localAddress) { token }
    }

    public func manifestData(of versionID: String) async throws -> Data? {
        let path = layout == .siteLibrary ? DataPlanePath.libraryManifest : DataPlanePath.versionManifest
        return try await get(path.path(version: versionID), what: "the manifest")
    }

    public func chunkData(_ hash: String, of versionID: String) async throws -> Data? {
        let path = layout == .siteLibrary ? DataPlanePath.libraryChunk.path(hash: hash)
                                          : DataPlanePath.versionChunk.path(version: versionID, hash: hash)
        return try await get(path, what: "chunk \(hash)")
    }

    public func heldChunks(of versionID: String, among chunks: [ChunkReference]) async -> Set<String>? {
        // Only peer caches keep a have list; a DP or the library is asked chunk by chunk.
        guard layout == .peer,
              let list = try? await get(DataPlanePath.versionHeldChunks.path(version: versionID), what: "the have list"),
              list.count == chunks.count else { return nil }
        var held = Set<String>()
        for (chunk, flag) in zip(chunks, list) where flag == UInt8(ascii: "1") { held.insert(chunk.hash) }
        return held
    }

    /// The body of a 200; nil for a 404; throws for anything else.
    private func get(_ path: String, what: String) async throws -> Data? {
        let options: HTTPRequestOptions
        do {
            options = HTTPRequestOptions(headers: ["Authorization": "Bearer \(try await token())"], timeoutSeconds: timeoutSeconds,
                                         localAddress: localAddress)
        } catch {
            throw ContentTransferError.unreachable(source: id, what: what, reason: "no token: \(error)")
        }
        let response: HTTPResponse
        do {
            response = try await http.get(baseURL + path, options: options)
        } catch let error as CancellationError {
            throw error
        } catch {
            throw ContentTransferError.unreachable(source: id, what: what, reason: "\(error)")
        }
        switch response.status {
        case 200: return response.body
        case 404: return nil
        default:
            let body = String(decoding: response.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw ContentTransferError.refused(source: id, status: response.status, what: what, body: body)
        }
    }
}
