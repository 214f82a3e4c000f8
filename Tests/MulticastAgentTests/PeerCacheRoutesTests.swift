import ContentStore
import ContentTransfer
import Foundation
import HTTPTransfer
import Hummingbird
import Logging
@testable import MulticastAgent
import ServiceKit
import ServiceLifecycle
import Testing

/// Issue 14 item 3: peer caches served any chunk by hash, under any version id, to any
/// address in the subnet without a token. Now they want the download token a DP would.
@Suite("PeerCacheRoutes")
struct PeerCacheRoutesTests {
    struct Site {
        let signer: SiteTokenSigner
        let verifier: SiteTokenVerifier
        init(_ folder: URL) throws {
            try SiteTokenSigner.generateKeyPair(privateKeyFile: folder.appendingPathComponent("site.key"),
                                                publicKeyFile: folder.appendingPathComponent("site.key.pub"))
            signer = try SiteTokenSigner(privateKeyFile: folder.appendingPathComponent("site.key"))
            verifier = try SiteTokenVerifier(publicKeyFile: folder.appendingPathComponent("site.key.pub"), clock: SystemClock())
        }

        func token(_ version: String, client: String = "127.0.0.1", audience: [String] = [SiteTokenClaims.peerCacheAudience]) throws -> String {
            try signer.sign(SiteTokenClaims(scope: "download", subject: client, audience: audience, versionID: version,
                                            issuedAt: Date(), expiresAt: Date().addingTimeInterval(600)))
        }
    }

    /// A peer cache on port 0 for the loopback subnet, serving `store`.
    static func serving(_ store: ChunkStore, verifier: SiteTokenVerifier, _ body: (String) async throws -> Void) async throws {
        let router = Router(context: ServiceRequestContext.self)
        PeerCacheRoutes.add(to: router, store: store, chunkLists: ChunkListCache(store: store),
                            subnet: try AddressRange(subnet: "127.0.0.0/8"), verifier: verifier)
        try await MulticastAgentTests.serving(router, label: "test-peer", body)
    }

    @Test("Issue 14: a peer cache wants a site-signed download token for the version, issued to the asking address")
    func tokensAreRequired() async throws {
        let (store, _, version, root) = try ContentDownloaderTests.stores(files: 1)
        defer { try? FileManager.default.removeItem(at: root) }
        // A second version in the same store: its chunks must not be served under the first's id.
        let otherFolder = root.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: otherFolder, withIntermediateDirectories: true)
        try Data((0..<100_000).map { _ in UInt8.random(in: 0...255) }).write(to: otherFolder.appendingPathComponent("x.bin"))
        let other = try FolderImporter(store: store).importFolder(at: otherFolder).versionID
        let site = try Site(root)
        let chunk = try #require(try store.manifest(version).uniqueChunks.first).hash
        let foreign = try #require(try store.manifest(other).uniqueChunks.first).hash
        try await Self.serving(store, verifier: site.verifier) { base in
            func status(_ path: String, token: String?) async throws -> Int {
                let headers = token.map { ["Authorization": "Bearer \($0)"] } ?? [:]
                return try await HTTPClient.shared.get(base + path, options: HTTPRequestOptions(headers: headers, localAddress: "127.0.0.1")).status
            }
            let good = try site.token(version)
            #expect(try await status("/content/\(version)/chunks/\(chunk)", token: nil) == 401)
            #expect(try await status("/content/\(version)/manifest", token: nil) == 401)
            #expect(try await status("/content/\(version)/have", token: nil) == 401)
            #expect(try await status("/content/\(version)/chunks/\(chunk)", token: try site.token(other)) == 403, "another version's token")
            #expect(try await status("/content/\(version)/chunks/\(chunk)", token: try site.token(version, client: "127.0.2.10")) == 403,
                    "a token issued to another address")
            #expect(try await status("/content/\(version)/chunks/\(chunk)", token: try site.token(version, audience: ["dp1"])) == 403,
                    "a token for a DP only")
            let stranger = try Site(root.appendingPathComponent("stranger").creatingDirectory())
            #expect(try await status("/content/\(version)/chunks/\(chunk)", token: try stranger.token(version)) == 403, "signed by another site")
            #expect(try await status("/content/\(version)/chunks/\(chunk)", token: good) == 200)
            #expect(try await status("/content/\(version)/manifest", token: good) == 200)
            #expect(try await status("/content/\(version)/chunks/\(foreign)", token: good) == 404, "a chunk of another version")
            let zero = String(repeating: "0", count: 64)
            #expect(try await status("/content/\(zero)/chunks/\(chunk)", token: try site.token(zero)) == 404, "a version this cache does not hold")
        }
    }
}

extension URL {
    func creatingDirectory() throws -> URL {
        try FileManager.default.createDirectory(at: self, withIntermediateDirectories: true)
        return self
    }
}
