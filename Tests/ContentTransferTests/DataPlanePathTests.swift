@testable import ContentTransfer
import Testing

/// Issue 15 item 3: the data plane's paths are spelled once; filled in, they are the wire
/// paths every DP, peer cache and site library has always answered.
@Suite("DataPlanePath")
struct DataPlanePathTests {
    let version = String(repeating: "a", count: 64)
    let hash = String(repeating: "b", count: 64)

    @Test("Issue 15 item 3: each path fills in to the wire path of before")
    func wirePaths() {
        #expect(DataPlanePath.libraryManifest.path(version: version) == "/library/manifests/\(version)")
        #expect(DataPlanePath.libraryChunk.path(hash: hash) == "/library/chunks/\(hash)")
        #expect(DataPlanePath.storedManifest.path(version: version) == "/manifests/\(version)")
        #expect(DataPlanePath.storedChunk.path(hash: hash) == "/chunks/\(hash)")
        #expect(DataPlanePath.versionManifest.path(version: version) == "/content/\(version)/manifest")
        #expect(DataPlanePath.versionChunk.path(version: version, hash: hash) == "/content/\(version)/chunks/\(hash)")
        #expect(DataPlanePath.versionHeldChunks.path(version: version) == "/content/\(version)/have")
    }

    @Test("Issue 15 item 3: route patterns name their values with the Parameter names; templates for the fuzzer")
    func patternsAndTemplates() {
        #expect(DataPlanePath.versionChunk.pattern == "/content/:\(DataPlanePath.Parameter.version)/chunks/:\(DataPlanePath.Parameter.hash)")
        #expect(DataPlanePath.versionFile.template == "/content/{version}/files/{path}")
        #expect(Set(DataPlanePath.all).count == 14)
        // Issue 16 item 8: the batch routes, one request per block of chunks.
        #expect(DataPlanePath.storedChunkBatch.path() == "/chunk-batch")
        #expect(DataPlanePath.libraryChunkBatch.path() == "/library/chunk-batch")
    }
}
