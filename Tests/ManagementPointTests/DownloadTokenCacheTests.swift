@testable import ManagementPoint
import Foundation
import ServiceKit
import Synchronization
import Testing

@Suite("DownloadTokenCache")
struct DownloadTokenCacheTests {
    static let start = Date(timeIntervalSince1970: 2_000_000_000)
    static let version = String(repeating: "ab", count: 32)

    /// Counts signatures; a "token" spells out its claims.
    final class Signer: Sendable {
        private let signed = Mutex(0)
        func sign(_ claims: SiteTokenClaims) -> String {
            let count = signed.withLock { $0 += 1; return $0 }
            return "\(claims.subject)|\(claims.versionID ?? "-")|\(claims.audience.joined(separator: ","))|\(claims.expiresAt.timeIntervalSince1970)|#\(count)"
        }
        var count: Int { signed.withLock { $0 } }
    }

    static func key(_ subject: String = "10.1.0.7", version: String = version, audience: [String] = ["dp1", "peer-cache"]) -> DownloadTokenCache.Key {
        DownloadTokenCache.Key(subject: subject, versionID: version, audience: audience)
    }

    @Test("the same client, version and DPs get the same token while at least half its lifetime is left")
    func reusedWhileFarFromExpiry() {
        let cache = DownloadTokenCache(lifetime: 900)
        let signer = Signer()
        let first = cache.token(for: Self.key(), now: Self.start, sign: signer.sign)
        #expect(first.issuedAt == Self.start && first.expiresAt == Self.start.addingTimeInterval(900))
        let again = cache.token(for: Self.key(), now: Self.start.addingTimeInterval(450), sign: signer.sign)
        #expect(again == first, "450 s of 900 left: reused")
        #expect(signer.count == 1)
        let late = cache.token(for: Self.key(), now: Self.start.addingTimeInterval(451), sign: signer.sign)
        #expect(late != first && late.expiresAt == Self.start.addingTimeInterval(451 + 900), "less than half left: signed anew")
        #expect(signer.count == 2)
    }

    @Test("another client, version or DP set never gets a token made for someone else")
    func boundToClientVersionAndDPs() {
        let cache = DownloadTokenCache(lifetime: 900)
        let signer = Signer()
        let mine = cache.token(for: Self.key(), now: Self.start, sign: signer.sign)
        let others = [Self.key("10.1.0.8"), Self.key(version: String(repeating: "cd", count: 32)),
                      Self.key(audience: ["dp2", "peer-cache"]), Self.key(audience: ["dp1", "dp3", "peer-cache"])]
            .map { cache.token(for: $0, now: Self.start, sign: signer.sign) }
        #expect(signer.count == 5)
        #expect(Set(others.map(\.token)).count == 4 && !others.map(\.token).contains(mine.token))
        #expect(others[0].token.hasPrefix("10.1.0.8|"), "the token names the client it was made for")
        #expect(cache.token(for: Self.key(), now: Self.start.addingTimeInterval(1), sign: signer.sign) == mine)
    }

    @Test("a clock that went back before the issue time gets a fresh token")
    func clockGoingBack() {
        let cache = DownloadTokenCache(lifetime: 900)
        let signer = Signer()
        let first = cache.token(for: Self.key(), now: Self.start, sign: signer.sign)
        let earlier = cache.token(for: Self.key(), now: Self.start.addingTimeInterval(-10), sign: signer.sign)
        #expect(earlier != first && earlier.issuedAt == Self.start.addingTimeInterval(-10))
    }

    @Test("the cache stays within its capacity")
    func bounded() {
        let cache = DownloadTokenCache(lifetime: 900, capacity: 10)
        let signer = Signer()
        for client in 0..<25 {
            _ = cache.token(for: Self.key("10.1.0.\(client)"), now: Self.start, sign: signer.sign)
            #expect(cache.count <= 10)
        }
        // Entries no longer reusable go first, so live ones are kept when room can be made.
        let live = DownloadTokenCache(lifetime: 900, capacity: 3)
        _ = live.token(for: Self.key("10.1.0.1"), now: Self.start, sign: signer.sign)
        _ = live.token(for: Self.key("10.1.0.2"), now: Self.start, sign: signer.sign)
        let kept = live.token(for: Self.key("10.1.0.3"), now: Self.start.addingTimeInterval(500), sign: signer.sign)
        _ = live.token(for: Self.key("10.1.0.4"), now: Self.start.addingTimeInterval(500), sign: signer.sign)
        #expect(live.count == 2)
        #expect(live.token(for: Self.key("10.1.0.3"), now: Self.start.addingTimeInterval(501), sign: signer.sign) == kept)
    }

    @Test("a reused token is a real site token: it verifies for its client, version and each DP, and for no other")
    func reusedTokenVerifies() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("token-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let privateKey = folder.appendingPathComponent("site.key"), publicKey = folder.appendingPathComponent("site.key.pub")
        try SiteTokenSigner.generateKeyPair(privateKeyFile: privateKey, publicKeyFile: publicKey)
        let signer = try SiteTokenSigner(privateKeyFile: privateKey)
        let verifier = try SiteTokenVerifier(publicKeyFile: publicKey, clock: SystemClock())
        let cache = DownloadTokenCache(lifetime: 900)
        let key = Self.key(audience: ["dp1", "dp3", "peer-cache"])
        _ = try cache.token(for: key, now: Self.start, sign: signer.sign)
        let reused = try cache.token(for: key, now: Self.start.addingTimeInterval(300), sign: signer.sign)
        let now = Self.start.addingTimeInterval(300)
        for audience in ["dp1", "dp3", "peer-cache"] {
            let claims = try verifier.verify(reused.token, scope: "download", versionID: Self.version, audience: audience, subject: "10.1.0.7", now: now)
            #expect(claims.expiresAt == Self.start.addingTimeInterval(900) && claims.issuedAt == Self.start)
        }
        #expect(throws: SiteTokenError.wrongAudience("dp2")) {
            try verifier.verify(reused.token, scope: "download", versionID: Self.version, audience: "dp2", subject: "10.1.0.7", now: now)
        }
        #expect(throws: SiteTokenError.wrongClient("10.1.0.8")) {
            try verifier.verify(reused.token, scope: "download", versionID: Self.version, audience: "dp1", subject: "10.1.0.8", now: now)
        }
    }
}
