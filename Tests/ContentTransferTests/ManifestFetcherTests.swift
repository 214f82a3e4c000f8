import ContentStore
@testable import ContentTransfer
import Foundation
import HTTPTransfer
import Testing

/// Issue 15 item 3: manifests are checked against the version id before they are kept.
@Suite("ManifestFetcher")
struct ManifestFetcherTests {
    @Test("Issue 15 item 3: a manifest that does not hash to the version is refused and not stored; the next source's is")
    func corruptManifestRefused() async throws {
        let fixture = try Fixture(files: 1)
        defer { fixture.remove() }
        let lying = TestSourceServer(store: fixture.source, .init(corruptManifest: true))
        let good = TestSourceServer(store: fixture.source)
        try await lying.serving { lyingURL in
            let first = ChunkFetcherTests.dp("dp1", lyingURL)
            let error = await #expect(throws: ContentTransferError.self) {
                try await ManifestFetcher().manifest(fixture.versionID, store: fixture.target, sources: [first])
            }
            #expect(error?.description.contains("corrupt manifest") == true, "\(String(describing: error))")
            #expect(!fixture.target.hasManifest(fixture.versionID))
            try await good.serving { goodURL in
                let manifest = try await ManifestFetcher().manifest(fixture.versionID, store: fixture.target,
                                                                    sources: [first, ChunkFetcherTests.dp("dp2", goodURL)])
                #expect(manifest.uniqueChunks == fixture.chunks)
            }
        }
        #expect(try fixture.target.manifestData(fixture.versionID) == fixture.source.manifestData(fixture.versionID))
    }

    @Test("Issue 15 item 3: a stored manifest is not fetched again")
    func storedManifestNotFetched() async throws {
        let fixture = try Fixture(files: 1)
        defer { fixture.remove() }
        try fixture.target.storeManifest(try fixture.source.manifestData(fixture.versionID), versionID: fixture.versionID)
        let server = TestSourceServer(store: fixture.source)
        try await server.serving { url in
            _ = try await ManifestFetcher().manifest(fixture.versionID, store: fixture.target, sources: [ChunkFetcherTests.dp("dp1", url)])
        }
        #expect(server.records.isEmpty)
    }
}
