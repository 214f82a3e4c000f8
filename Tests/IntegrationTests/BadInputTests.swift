import Bus
import ContentStore
import FerryCLI
import Foundation
import HTTPTransfer
import Logging
import Messages
import ServiceKit
import Testing

extension ClusterTests {
    @Test("malformed bus messages get typed errors and the service keeps serving")
    func malformedMessages() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        try cluster.up()
        let site = try cluster.service("site")
        let identity = try CurveKeyPair.load(from: cluster.data.appendingPathComponent("keys/cli.key").path)
        let client = BusClient(node: "cli", peer: "distribution-manager", endpoint: site.bus,
                               security: BusClientSecurity(identity: identity, serverKey: site.publicKey), clock: SystemClock(), logger: Logger(label: "test"))
        defer { client.close() }

        let dealer = try CurveDealer(endpoint: site.bus, serverKey: site.publicKey,
                                     publicKey: identity.publicKey, secretKey: identity.secretKey)
        func send(_ frame: Data) async throws -> ErrorReply {
            try dealer.send(frame)
            let reply = try #require(await dealer.receive(), "no reply to a bad frame")
            let envelope = try EnvelopeCodec.decode(reply)
            #expect(envelope.type == ErrorReply.wireName)
            // A refusal names the request it answers whenever the frame's id could be read.
            #expect(envelope.correlationID == EnvelopeCodec.peekID(frame))
            return try envelope.decodeBody(ErrorReply.self)
        }
        func envelope(type: String, version: Int = 1, body: String) -> Data {
            Data("{\"id\":\"\(UUID().uuidString)\",\"type\":\"\(type)\",\"version\":\(version),\"sender\":\"cli\",\"sentAt\":\"2026-11-22T10:00:00.000Z\",\"body\":\(body)}".utf8)
        }
        let cases: [(String, Data, ErrorCode)] = [
            ("malformed JSON", Data("{\"id\": not json".utf8), .malformed),
            ("not an object", Data("[1,2,3]".utf8), .malformed),
            ("unknown type", envelope(type: "content.explode", body: "{}"), .unknownType),
            ("unsupported version", envelope(type: ListContents.wireName, version: 99, body: "{}"), .unsupportedVersion),
            ("missing field", envelope(type: ShowContent.wireName, body: "{}"), .missingField),
            ("missing envelope field", Data("{\"type\":\"content.list\",\"version\":1}".utf8), .missingField),
            ("oversized frame", envelope(type: ShowContent.wireName, body: "{\"name\":\"\(String(repeating: "x", count: 9 * 1024 * 1024))\"}"), .oversizedFrame),
        ]
        for (label, frame, code) in cases {
            let error = try await send(frame)
            #expect(error.code == code, "\(label): got \(error.code) \(error.message)")
            // The next good request is still served.
            let list = try await client.request(ListContents())
            #expect(list.contents.isEmpty, "\(label)")
        }
        let missing = try await send(envelope(type: ShowContent.wireName, body: "{}"))
        #expect(missing.message.contains("name"))

        // A client whose key the site does not list gets nothing at all.
        let stranger = BusClient(node: "stranger", peer: "distribution-manager", endpoint: site.bus,
                                 security: BusClientSecurity(identity: try CurveKeyPair.generate(), serverKey: site.publicKey),
                                 clock: SystemClock(), logger: Logger(label: "test"))
        defer { stranger.close() }
        await #expect(throws: BusError.self) {
            _ = try await stranger.request(ListContents(), timeout: .seconds(2))
        }
        #expect(try cluster.ferry(["cluster", "status"]).status == 0)
    }

    @Test("pushes with a wrong token, a corrupt chunk or an unsafe manifest are refused and store nothing")
    func refusedPushes() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        try cluster.up()
        let dp = try cluster.service("dp1").http
        let signer = try SiteTokenSigner(privateKeyFile: cluster.data.appendingPathComponent("keys/site-signing.key"))
        let token = try signer.sign(SiteTokenClaims(scope: "transfer", subject: "test", audience: ["dp1"], issuedAt: Date(), expiresAt: Date().addingTimeInterval(600)))
        /// A manifest push needs a transfer token for that very version.
        func manifestToken(_ manifest: Data) throws -> String {
            try signer.sign(SiteTokenClaims(scope: "transfer", subject: "test", audience: ["dp1"], versionID: ContentHash.sha256Hex(manifest),
                                            issuedAt: Date(), expiresAt: Date().addingTimeInterval(600)))
        }
        let chunk = Data("a chunk of content".utf8)
        let hash = ContentHash.sha256Hex(chunk)
        func put(_ path: String, _ body: Data, token: String?) async throws -> Int {
            let headers = token.map { ["Authorization": "Bearer \($0)"] } ?? [:]
            return try await HTTPClient.shared.put(dp + path, body: body, options: HTTPRequestOptions(headers: headers)).status
        }

        #expect(try await put("/chunks/\(hash)", chunk, token: nil) == 401)
        #expect(try await put("/chunks/\(hash)", chunk, token: "garbage.token") == 403)
        let otherSite = cluster.root.appendingPathComponent("other")
        try SiteTokenSigner.generateKeyPair(privateKeyFile: otherSite.appendingPathComponent("k"), publicKeyFile: otherSite.appendingPathComponent("k.pub"))
        let forged = try SiteTokenSigner(privateKeyFile: otherSite.appendingPathComponent("k"))
            .sign(SiteTokenClaims(scope: "transfer", subject: "x", audience: ["dp1"], issuedAt: Date(), expiresAt: Date().addingTimeInterval(600)))
        #expect(try await put("/chunks/\(hash)", chunk, token: forged) == 403)
        let expired = try signer.sign(SiteTokenClaims(scope: "transfer", subject: "x", audience: ["dp1"], issuedAt: Date().addingTimeInterval(-120),
                                                      expiresAt: Date().addingTimeInterval(-60)))
        #expect(try await put("/chunks/\(hash)", chunk, token: expired) == 403)
        // Right token, but the bytes do not match the hash they claim.
        #expect(try await put("/chunks/\(hash)", Data("tampered".utf8), token: token) == 422)
        #expect(try cluster.storedChunks("dp1").isEmpty)

        // A manifest naming ../x is refused even with a valid token and matching id.
        let unsafe = Data(#"{"entries":[{"chunks":[],"kind":"file","mode":420,"path":"../x","size":0}],"formatVersion":1}"#.utf8)
        #expect(try await put("/manifests/\(ContentHash.sha256Hex(unsafe))", unsafe, token: try manifestToken(unsafe)) == 422)
        let absolutePath = Data(#"{"entries":[{"chunks":[],"kind":"file","mode":420,"path":"/etc/passwd","size":0}],"formatVersion":1}"#.utf8)
        #expect(try await put("/manifests/\(ContentHash.sha256Hex(absolutePath))", absolutePath, token: try manifestToken(absolutePath)) == 422)
        let manifests = try FileManager.default.contentsOfDirectory(atPath: cluster.data.appendingPathComponent("dp1/store/manifests").path)
        #expect(manifests.filter { $0.hasSuffix(".json") }.isEmpty)

        // The good push goes through.
        #expect(try await put("/chunks/\(hash)", chunk, token: token) == 201)
        #expect(try cluster.storedChunks("dp1") == [hash: chunk.count])
        #expect(try await put("/chunks/\(hash)", chunk, token: token) == 200)
        #expect(try await cluster.metric("dp1", "ferry_dp_stored_chunks_total") == 1)
    }

    @Test("a DP serves files with correct Range handling and HEAD")
    func rangeRequests() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("setup.exe", 1_234_567)])
        let bytes = try Data(contentsOf: source.appendingPathComponent("setup.exe"))
        try cluster.up()
        let created = try cluster.json(VersionJSON.self, ["content", "create", "--name", "tool", "--source", source.path])
        try cluster.ok(["distribute", "tool", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "tool", "--wait", "--timeout", "60"]).status == 0)
        let url = try cluster.service("dp1").http + "/content/\(created.version.versionID)/files/setup.exe"
        let length = bytes.count
        let token = try cluster.download(created.version.versionID)
        func ranged(_ range: String) -> HTTPRequestOptions {
            var options = token
            options.headers["Range"] = range
            return options
        }

        let whole = try await HTTPClient.shared.get(url, options: token)
        #expect(whole.status == 200)
        #expect(whole.body == bytes)
        let first = try await HTTPClient.shared.get(url, options: ranged("bytes=0-99"))
        #expect(first.status == 206)
        #expect(first.body == bytes[0..<100])
        #expect(first.headers["content-range"] == "bytes 0-99/\(length)")
        let middle = try await HTTPClient.shared.get(url, options: ranged("bytes=70000-200000"))
        #expect(middle.body == bytes[70_000...200_000])
        let open = try await HTTPClient.shared.get(url, options: ranged("bytes=1234000-"))
        #expect(open.status == 206)
        #expect(open.body == bytes[1_234_000...])
        let suffix = try await HTTPClient.shared.get(url, options: ranged("bytes=-500"))
        #expect(suffix.status == 206)
        #expect(suffix.body == bytes[(length - 500)...])
        #expect(suffix.headers["content-range"] == "bytes \(length - 500)-\(length - 1)/\(length)")
        let past = try await HTTPClient.shared.get(url, options: ranged("bytes=\(length)-"))
        #expect(past.status == 416)
        #expect(past.headers["content-range"] == "bytes */\(length)")
        let head = try await HTTPClient.shared.head(url, options: token)
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.headers["content-length"] == "\(length)")
        #expect(head.headers["accept-ranges"] == "bytes")
        let resumed = cluster.root.appendingPathComponent("download.part")
        try bytes.prefix(600_000).write(to: resumed)
        _ = try await HTTPClient.shared.download(url, to: resumed, resume: true, options: token)
        #expect(try Data(contentsOf: resumed) == bytes)
        let missingFile = try await HTTPClient.shared.get(try cluster.service("dp1").http + "/content/\(created.version.versionID)/files/nope.exe", options: token)
        #expect(missingFile.status == 404)
        let escape = try await HTTPClient.shared.get(try cluster.service("dp1").http + "/content/\(created.version.versionID)/files/..%2F..%2Fetc%2Fpasswd", options: token)
        #expect(escape.status == 400 || escape.status == 404)
    }
}
