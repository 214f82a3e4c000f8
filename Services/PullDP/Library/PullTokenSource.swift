import Bus
import Clocks
import Foundation
import Messages

/// The pull DP's tokens for reading from its sources, asked of its management point per
/// version and kept while more than half their life is left (a long pull renews between chunks).
actor PullTokenSource {
    private let request: @Sendable (PullTokenRequest) async throws -> PullTokenReply
    private let clock: any ServiceClock
    private var held: [String: (reply: PullTokenReply, issuedAt: Date)] = [:]

    init(clock: any ServiceClock, request: @escaping @Sendable (PullTokenRequest) async throws -> PullTokenReply) {
        self.clock = clock
        self.request = request
    }

    func token(versionID: String) async throws -> String {
        let now = clock.now
        if let current = held[versionID] {
            let life = current.reply.expiresAt.timeIntervalSince(current.issuedAt)
            if current.reply.expiresAt.timeIntervalSince(now) > life / 2 { return current.reply.token }
        }
        let fresh = try await request(PullTokenRequest(versionID: versionID))
        held[versionID] = (fresh, now)
        return fresh.token
    }
}
