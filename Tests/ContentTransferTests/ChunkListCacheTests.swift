import ContentStore
@testable import ContentTransfer
import Foundation
import Testing

/// Issue 15 item 3: the one chunk-list cache (peer caches' have lists and chunk checks) and
/// the bounded version memo it is built on.
@Suite("ChunkListCache")
struct ChunkListCacheTests {
    @Test("Issue 15 item 3: have list, membership and holdings follow the store")
    func followsTheStore() throws {
        let fixture = try Fixture(files: 2)
        defer { fixture.remove() }
        let cache = ChunkListCache(store: fixture.target)
        #expect(cache.chunks(fixture.versionID) == nil, "no manifest, no list")
        try fixture.target.storeManifest(try fixture.source.manifestData(fixture.versionID), versionID: fixture.versionID)
        #expect(cache.chunks(fixture.versionID) == fixture.chunks.map(\.hash))
        #expect(cache.haveList(fixture.versionID) == String(repeating: "0", count: fixture.chunks.count))
        #expect(cache.holdings(fixture.versionID) == (false, false))
        let first = fixture.chunks[0]
        try fixture.target.write(try fixture.source.read(first.hash), expectedHash: first.hash)
        #expect(cache.haveList(fixture.versionID)?.first == "1")
        #expect(cache.holdings(fixture.versionID) == (true, false))
        #expect(cache.contains(fixture.versionID, chunk: first.hash))
        #expect(!cache.contains(fixture.versionID, chunk: String(repeating: "c", count: 64)))
    }

    @Test("Issue 15 item 3: the version memo keeps at most its capacity, forgetting the oldest first")
    func boundedMemo() {
        let memo = VersionCache<Int>(capacity: 2)
        memo.remember(1, for: "v1")
        memo.remember(2, for: "v2")
        #expect(memo.value("v3") { 3 } == 3)
        #expect(memo.value("v1") == nil)
        #expect(memo.value("v2") == 2 && memo.value("v3") == 3)
        #expect(memo.value("v4") { nil } == nil)
        #expect(memo.value("v2") == 2, "a load that found nothing forgets nothing")
    }
}
