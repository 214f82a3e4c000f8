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
}
