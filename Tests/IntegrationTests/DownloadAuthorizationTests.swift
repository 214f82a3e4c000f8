import ContentStore
import Foundation
import HTTPTransfer
import Testing

/// The subset of `ferry dp list --json` the tests read.
struct DistributionPointListJSON: Decodable {
    struct Usage: Decodable {
        struct Content: Decodable {
            var content: String
            var uniqueClients: Int
        }
        var contents: [Content]
        var uniqueClients: Int
    }
    struct Point: Decodable {
        var name: String
        var usage: Usage?
    }
    var points: [Point]
}

extension ClusterTests {
    @Test("DPs serve a version only with a valid download token for it, and count unique clients")
    func downloadAuthorization() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("tool.exe", 400_000)])
        let other = cluster.root.appendingPathComponent("other")
        try SourceFolder.make(at: other, files: [("other.exe", 100_000)], seed: 5)
        try cluster.up()
        let created = try cluster.json(VersionJSON.self, ["content", "create", "--name", "tool", "--source", source.path])
        let otherVersion = try cluster.json(VersionJSON.self, ["content", "create", "--name", "other", "--source", other.path])
        try cluster.ok(["distribute", "tool", "--dp", "dp1"])
        try cluster.ok(["distribute", "other", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "tool", "--wait", "--timeout", "60"]).status == 0)
        #expect(try cluster.ferry(["status", "other", "--wait", "--timeout", "60"]).status == 0)
        let dp = try cluster.service("dp1").http
        let version = created.version.versionID
        let file = "\(dp)/content/\(version)/files/tool.exe"
        func status(_ url: String, _ options: HTTPRequestOptions = .init()) async throws -> Int {
            try await HTTPClient.shared.get(url, options: options).status
        }
        func bearer(_ token: String) -> HTTPRequestOptions { HTTPRequestOptions(headers: ["Authorization": "Bearer \(token)"]) }

        #expect(try await status(file) == 401)
        #expect(try await status("\(dp)/content/\(version)/manifest") == 401)
        #expect(try await status(file, bearer("not.a-token")) == 403)
        #expect(try await status(file, bearer(try cluster.token(versionID: otherVersion.version.versionID))) == 403, "token for another version")
        #expect(try await status(file, bearer(try cluster.token(versionID: version, expiresIn: -30))) == 403, "expired token")
        #expect(try await status("\(dp)/manifests/\(version)", try cluster.download(version)) == 403, "site-internal reads need a transfer token")

        // A valid token opens the version's manifest, chunks and files, and nothing else.
        let manifestResponse = try await HTTPClient.shared.get("\(dp)/content/\(version)/manifest", options: try cluster.download(version, client: "127.0.2.10"))
        #expect(manifestResponse.status == 200)
        let manifest = try Manifest.decode(manifestResponse.body)
        let chunk = try #require(manifest.uniqueChunks.first)
        let chunkResponse = try await HTTPClient.shared.get("\(dp)/content/\(version)/chunks/\(chunk.hash)", options: try cluster.download(version, client: "127.0.2.10"))
        #expect(chunkResponse.status == 200)
        #expect(ContentHash.sha256Hex(chunkResponse.body) == chunk.hash)
        let foreignChunk = try #require(try Manifest.decode(try await HTTPClient.shared.get("\(dp)/manifests/\(otherVersion.version.versionID)",
                                                                                           options: try cluster.transfer()).body).uniqueChunks.first)
        #expect(try await status("\(dp)/content/\(version)/chunks/\(foreignChunk.hash)", try cluster.download(version, client: "127.0.2.10")) == 404,
                "a token for one version must not open another version's chunks")
        #expect(try await status(file, try cluster.download(version, client: "127.0.2.11")) == 200)
        #expect(try await status(file, try cluster.download(version, client: "127.0.2.11")) == 200)

        // Issue 14 item 3: a token is good only at the DPs it names and for the client it was issued to.
        let onlyDP2 = HTTPRequestOptions(headers: ["Authorization": "Bearer \(try cluster.token(versionID: version, client: "127.0.2.12", audience: ["dp2"]))"],
                                         localAddress: "127.0.2.12")
        #expect(try await status(file, onlyDP2) == 403, "a token for dp2 replayed at dp1")
        let issuedToAnother = HTTPRequestOptions(headers: ["Authorization": "Bearer \(try cluster.token(versionID: version, client: "127.0.2.10"))"],
                                                 localAddress: "127.0.2.13")
        #expect(try await status(file, issuedToAnother) == 403, "a token replayed from another address")

        // Two distinct clients fetched "tool" from dp1; dp2 served nobody.
        var usage: DistributionPointListJSON.Usage?
        for _ in 0..<50 {
            let list = try cluster.json(DistributionPointListJSON.self, ["dp", "list"])
            usage = list.points.first { $0.name == "dp1" }?.usage
            if usage?.uniqueClients == 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(usage?.uniqueClients == 2)
        #expect(usage?.contents.first { $0.content == "tool" }?.uniqueClients == 2)
        let dp2 = try cluster.json(DistributionPointListJSON.self, ["dp", "list"]).points.first { $0.name == "dp2" }
        #expect(dp2?.usage?.uniqueClients == 0)
    }
}
