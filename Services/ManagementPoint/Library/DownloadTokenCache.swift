import Foundation
import ServiceKit
import Synchronization

/// Download tokens already signed, handed out again to the same client for the same
/// version and DPs while they are far from expiry.
///
/// A token is bound to its claims (client address, version, DP audience, expiry), so giving
/// the same client the same token a few seconds later promises nothing a fresh one would
/// not; it only saves the Ed25519 signature, a large part of an answer's cost when agents
/// ask again (retries, several deployments of one version). A token is reused only while
/// at least `reuseFraction` of the lifetime is left (by the service clock), so a client is
/// never given less time than that; it is never reused for another client, version or DP
/// set, nor when the clock went back past its issue time.
final class DownloadTokenCache: Sendable {
    struct Key: Hashable, Sendable {
        var subject: String
        var versionID: String
        var audience: [String]
    }

    struct Token: Sendable, Equatable {
        var token: String
        var issuedAt: Date
        var expiresAt: Date
    }

    /// The fraction of the lifetime a reused token must still have.
    static let defaultReuseFraction = 0.5

    let lifetime: TimeInterval
    let reuseFraction: Double
    let capacity: Int
    private let tokens = Mutex([Key: Token]())

    init(lifetime: TimeInterval, reuseFraction: Double = defaultReuseFraction, capacity: Int = 100_000) {
        self.lifetime = lifetime
        self.reuseFraction = reuseFraction
        self.capacity = capacity
    }

    /// A token for `key` issued at `now` or, when one is held that still has enough life
    /// left, that one. `sign` makes a new one from its claims.
    func token(for key: Key, now: Date, sign: (SiteTokenClaims) throws -> String) rethrows -> Token {
        if let held = tokens.withLock({ $0[key] }), isReusable(held, now: now) { return held }
        let expiresAt = now.addingTimeInterval(lifetime)
        let claims = SiteTokenClaims(scope: "download", subject: key.subject, audience: key.audience, versionID: key.versionID,
                                     issuedAt: now, expiresAt: expiresAt)
        let made = Token(token: try sign(claims), issuedAt: now, expiresAt: expiresAt)
        tokens.withLock { tokens in
            if tokens.count >= capacity {
                // Bounded memory: drop what can no longer be reused; if that is not enough, start over.
                tokens = tokens.filter { isReusable($0.value, now: now) }
                if tokens.count >= capacity { tokens.removeAll(keepingCapacity: true) }
            }
            tokens[key] = made
        }
        return made
    }

    func isReusable(_ token: Token, now: Date) -> Bool {
        token.issuedAt <= now && token.expiresAt.timeIntervalSince(now) >= lifetime * reuseFraction
    }

    var count: Int { tokens.withLock { $0.count } }
}
