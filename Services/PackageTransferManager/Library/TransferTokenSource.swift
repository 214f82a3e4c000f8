import Clocks
import Bus
import Foundation
import Messages

/// The PTM's transfer tokens, asked of the distribution manager per DP and version and
/// kept until they near expiry, so a long transfer renews its token between chunks.
actor TransferTokenSource {
    /// A token with less than this left is renewed before the next request that uses it.
    static let renewalMargin: TimeInterval = 300

    private let request: @Sendable (TransferTokenRequest) async throws -> TransferTokenReply
    private let clock: any ServiceClock
    private var held: [String: TransferTokenReply] = [:]

    init(clock: any ServiceClock, request: @escaping @Sendable (TransferTokenRequest) async throws -> TransferTokenReply) {
        self.clock = clock
        self.request = request
    }

    /// A token valid for a while yet at `distributionPoint` for `versionID`.
    func token(distributionPoint: String, versionID: String) async throws -> String {
        let now = clock.now
        let key = distributionPoint + "|" + versionID
        if let current = held[key], current.expiresAt.timeIntervalSince(now) > Self.renewalMargin { return current.token }
        let fresh = try await request(TransferTokenRequest(distributionPoint: distributionPoint, versionID: versionID))
        held[key] = fresh
        return fresh.token
    }

}
