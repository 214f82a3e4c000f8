import ContentStore
import Foundation
import HTTPTransfer
import ServiceKit
import Testing

/// Issue 14 item 5 with real services: what a DP checks before it stores or serves a manifest,
/// and which clients it counts.
extension ClusterTests {
    @Test("Issue 14 item 5: a pushed manifest whose chunk sizes lie, or that names chunks the DP lacks, is refused, stored nowhere and never served")
    func lyingManifestIsRefused() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        try cluster.up()
        let dp = try cluster.service("dp1").http
        let transfer = try cluster.transfer()
        let chunk = Data("eighteen byte data".utf8)
        let hash = ContentHash.sha256Hex(chunk)
        #expect(try await HTTPClient.shared.put("\(dp)/chunks/\(hash)", body: chunk, options: transfer).status == 201)

        // The chunk is 18 bytes; the manifest says 64 MiB (within the manifest rules, so it decodes).
        let claimed = ChunkingParameters.largestMaximumSize
        let lying = try Manifest(entries: [
            ManifestEntry(path: "disk.img", kind: .file, size: Int64(claimed), mode: 0o644, chunks: [ChunkReference(hash: hash, size: claimed)]),
        ]).canonicalData()
        let lyingID = ContentHash.sha256Hex(lying)
        let refused = try await HTTPClient.shared.put("\(dp)/manifests/\(lyingID)", body: lying, options: try cluster.transfer(versionID: lyingID))
        #expect(refused.status == 422)
        let message = String(decoding: refused.body, as: UTF8.self)
        #expect(message.contains(hash) && message.contains("\(claimed) bytes") && message.contains("18"), "\(message)")

        // A manifest naming a chunk the DP does not hold is refused too (the PTM pushes chunks first).
        let absent = ContentHash.sha256Hex(Data("never pushed".utf8))
        let dangling = try Manifest(entries: [
            ManifestEntry(path: "a.bin", kind: .file, size: 12, mode: 0o644, chunks: [ChunkReference(hash: absent, size: 12)]),
        ]).canonicalData()
        let danglingID = ContentHash.sha256Hex(dangling)
        let refusedDangling = try await HTTPClient.shared.put("\(dp)/manifests/\(danglingID)", body: dangling, options: try cluster.transfer(versionID: danglingID))
        #expect(refusedDangling.status == 422)
        #expect(String(decoding: refusedDangling.body, as: UTF8.self).contains(absent))

        let manifests = (try? FileManager.default.contentsOfDirectory(atPath: cluster.data.appendingPathComponent("dp1/store/manifests").path)) ?? []
        #expect(manifests.filter { $0.hasSuffix(".json") }.isEmpty, "nothing stored: \(manifests)")
        let file = try await HTTPClient.shared.head("\(dp)/content/\(lyingID)/files/disk.img", options: try cluster.download(lyingID))
        #expect(file.status == 404)
        #expect(file.headers["content-length"] != "\(claimed)")

        // An honest manifest of the same chunk is stored and served with the true length.
        let honest = try Manifest(entries: [
            ManifestEntry(path: "small.txt", kind: .file, size: Int64(chunk.count), mode: 0o644, chunks: [ChunkReference(hash: hash, size: chunk.count)]),
        ]).canonicalData()
        let honestID = ContentHash.sha256Hex(honest)
        #expect(try await HTTPClient.shared.put("\(dp)/manifests/\(honestID)", body: honest, options: try cluster.transfer(versionID: honestID)).status == 201)
        let served = try await HTTPClient.shared.get("\(dp)/content/\(honestID)/files/small.txt", options: try cluster.download(honestID))
        #expect(served.status == 200)
        #expect(served.body == chunk)
    }

    @Test("Issue 14 item 5: a DP counts a client only for a version it serves, not for a token for a version it lacks")
    func clientsCountedOnlyForServedVersions() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("tool.exe", 200_000)])
        try cluster.up()
        let created = try cluster.json(VersionJSON.self, ["content", "create", "--name", "tool", "--source", source.path])
        try cluster.ok(["distribute", "tool", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "tool", "--wait", "--timeout", "60"]).status == 0)
        let dp = try cluster.service("dp1").http
        let lacking = ContentHash.sha256Hex(Data("a version dp1 never received".utf8))
        for (index, client) in ["127.0.3.1", "127.0.3.2", "127.0.3.3"].enumerated() {
            let path = ["manifest", "files/tool.exe", "chunks/\(lacking)"][index]
            let response = try await HTTPClient.shared.get("\(dp)/content/\(lacking)/\(path)", options: try cluster.download(lacking, client: client))
            #expect(response.status == 404)
        }
        let served = try await HTTPClient.shared.get("\(dp)/content/\(created.version.versionID)/files/tool.exe",
                                                     options: try cluster.download(created.version.versionID, client: "127.0.3.9"))
        #expect(served.status == 200)
        var usage: DistributionPointListJSON.Usage?
        for _ in 0..<50 {
            usage = try cluster.json(DistributionPointListJSON.self, ["dp", "list"]).points.first { $0.name == "dp1" }?.usage
            if usage?.uniqueClients ?? 0 >= 1 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .milliseconds(300))   // a wrongly counted client would be written by now too
        usage = try cluster.json(DistributionPointListJSON.self, ["dp", "list"]).points.first { $0.name == "dp1" }?.usage
        #expect(usage?.uniqueClients == 1, "\(String(describing: usage))")
        #expect(usage?.contents.map(\.content) == ["tool"])
    }
}
