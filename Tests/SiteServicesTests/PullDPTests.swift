import Clocks
import ContentStore
import Foundation
import HTTPTransfer
import Messages
import PullDP
import ServiceKit
import Testing

// Issue 15 item 2: the DP built in-process, as @main builds it, on a manual clock.
@Suite("PullDP in-process")
struct PullDPTests {
    @Test func issue15_aDownloadTokenExpiresOnTheDPsServiceClock() async throws {
        // SPEC P1, T2: the DP checks a token's expiry against its clock, not the machine's.
        let site = try InProcessSite()
        do {
            let point = try await site.startDistributionPoint()
            let base = try #require(point.host.httpURL)
            let version = String(repeating: "ab", count: 32)
            let signer = try SiteTokenSigner(privateKeyFile: site.signingKey)
            let token = try signer.sign(SiteTokenClaims(scope: "download", subject: "127.0.0.1", audience: ["dp1"], versionID: version,
                                                        issuedAt: site.clock.now, expiresAt: site.clock.now.addingTimeInterval(900)))
            let options = HTTPRequestOptions(headers: ["Authorization": "Bearer \(token)"])
            let valid = try await HTTPClient.shared.get("\(base)/content/\(version)/manifest", options: options)
            #expect(valid.status == 404, "a valid token for a version this DP does not hold: not found")
            site.clock.advance(by: .seconds(901))
            let expired = try await HTTPClient.shared.get("\(base)/content/\(version)/manifest", options: options)
            #expect(expired.status == 403, "the same token after the clock passed its expiry")
        } catch {
            await site.stop()
            throw error
        }
        await site.stop()
    }

    @Test func issue15_theDPAnswersTheTransferManagerOverItsBus() async throws {
        // SPEC T2: what the PTM asks before a push, answered by the in-process DP.
        let site = try InProcessSite()
        do {
            _ = try await site.startDistributionPoint()
            let transferManager = site.client(to: "dp1", as: "ptm")
            defer { transferManager.close() }
            let hash = String(repeating: "cd", count: 32)
            let missing = try await transferManager.request(MissingChunksQuery(hashes: [hash]))
            #expect(missing.missing == [hash])
        } catch {
            await site.stop()
            throw error
        }
        await site.stop()
    }

    @Test func issue14_aTransferTokenIssuedForAnotherDPOrVersionIsRefused() async throws {
        // SPEC T2, issue 14 item 3: a push token names one DP and one version; replayed at
        // another DP, or for another version's manifest, it opens nothing.
        let site = try InProcessSite()
        do {
            let point = try await site.startDistributionPoint()
            let base = try #require(point.host.httpURL)
            let signer = try SiteTokenSigner(privateKeyFile: site.signingKey)
            let chunk = Data("a chunk pushed with someone else's token".utf8)
            let hash = ContentHash.sha256Hex(chunk)
            let version = String(repeating: "ab", count: 32)
            func token(audience: String, version: String) throws -> String {
                try signer.sign(SiteTokenClaims(scope: "transfer", subject: "ptm", audience: [audience], versionID: version,
                                                issuedAt: site.clock.now, expiresAt: site.clock.now.addingTimeInterval(900)))
            }
            func put(_ path: String, _ token: String, _ body: Data) async throws -> Int {
                try await HTTPClient.shared.put(base + path, body: body,
                                                options: HTTPRequestOptions(headers: ["Authorization": "Bearer \(token)"])).status
            }
            #expect(try await put("/chunks/\(hash)", try token(audience: "dp2", version: version), chunk) == 403, "dp2's token at dp1")
            #expect(try await put("/manifests/\(String(repeating: "cd", count: 32))", try token(audience: "dp1", version: version),
                                  Data("{}".utf8)) == 403, "a manifest of another version than the token's")
            let store = try ChunkStore(root: site.folder.appendingPathComponent("dp1/store", isDirectory: true))
            #expect(!store.contains(hash), "nothing was stored")
            #expect(try await put("/chunks/\(hash)", try token(audience: "dp1", version: version), chunk) == 201, "its own token works")
        } catch {
            await site.stop()
            throw error
        }
        await site.stop()
    }

    @Test func issue14_aServedVersionsManifestIsDecodedOnceNotPerRequest() async throws {
        // Issue 14 item 5: /files re-read, re-hashed and decoded the whole manifest on every
        // request; now the checked, decoded version is kept. Shown by changing the stored
        // manifest's bytes after the first read: a DP that read it again would refuse it (its
        // hash no longer matches), one that kept it serves on.
        let site = try InProcessSite()
        do {
            let point = try await site.startDistributionPoint()
            let base = try #require(point.host.httpURL)
            let signer = try SiteTokenSigner(privateKeyFile: site.signingKey)
            let bytes = Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            let hash = ContentHash.sha256Hex(bytes)
            let manifest = Manifest(entries: [ManifestEntry(path: "setup.bin", kind: .file, size: Int64(bytes.count), mode: 0o644,
                                                            chunks: [ChunkReference(hash: hash, size: bytes.count)])])
            let manifestData = try manifest.canonicalData()
            let version = ContentHash.sha256Hex(manifestData)
            func token(_ scope: String, subject: String) throws -> [String: String] {
                ["Authorization": "Bearer " + (try signer.sign(SiteTokenClaims(scope: scope, subject: subject, audience: ["dp1"], versionID: version,
                                                                             issuedAt: site.clock.now, expiresAt: site.clock.now.addingTimeInterval(900))))]
            }
            let push = HTTPRequestOptions(headers: try token("transfer", subject: "ptm"))
            #expect(try await HTTPClient.shared.put(base + "/chunks/\(hash)", body: bytes, options: push).status == 201)
            #expect(try await HTTPClient.shared.put(base + "/manifests/\(version)", body: manifestData, options: push).status == 201)
            let download = HTTPRequestOptions(headers: try token("download", subject: "127.0.0.1"))
            let first = try await HTTPClient.shared.get(base + "/content/\(version)/files/setup.bin", options: download)
            #expect(first.status == 200 && first.body == bytes)

            let stored = site.folder.appendingPathComponent("dp1/store/manifests/\(version).json")
            #expect(FileManager.default.fileExists(atPath: stored.path))
            try Data("{\"formatVersion\":1,\"entries\":[]}".utf8).write(to: stored)
            #expect(throws: (any Error).self, "the store itself refuses the changed bytes") {
                try ChunkStore(root: site.folder.appendingPathComponent("dp1/store", isDirectory: true)).manifest(version)
            }
            let again = try await HTTPClient.shared.get(base + "/content/\(version)/files/setup.bin", options: download)
            #expect(again.status == 200 && again.body == bytes, "served from the decoded version, not the file")
            let range = try await HTTPClient.shared.get(base + "/content/\(version)/files/setup.bin", range: "bytes=10-19", options: download)
            #expect(range.status == 206 && range.body == bytes[10..<20])
        } catch {
            await site.stop()
            throw error
        }
        await site.stop()
    }
}
