import Clocks
import Foundation
import GRDB
import Bus
import Messages
import ServiceKit
import Store

/// Issues the PTM's transfer tokens: one DP, one version, short-lived (SPEC T2).
///
/// A token valid at every DP for a week (as it once was) let one leaked job push anything
/// anywhere; now a DP accepts only a token naming it, and the PTM asks again when the one
/// it holds nears expiry.
struct TransferTokenIssuer: Sendable {
    static let defaultLifetime: TimeInterval = 3600

    let database: ServiceDatabase
    let clock: any ServiceClock
    let signer: SiteTokenSigner
    let subject: String
    let lifetime: TimeInterval

    func issue(_ request: TransferTokenRequest) async throws -> TransferTokenReply {
        try await database.read { db in
            _ = try DistributionPointRecord.require(request.distributionPoint, db)
            guard try VersionRecord.filter(Column("versionID") == request.versionID).fetchCount(db) > 0 else {
                throw WireError(code: .notFound, message: "no content version \(request.versionID.prefix(64)) at this site")
            }
        }
        let now = clock.now
        let expiry = now.addingTimeInterval(lifetime)
        let token = try signer.sign(SiteTokenClaims(scope: "transfer", subject: subject, audience: [request.distributionPoint],
                                                    versionID: request.versionID, issuedAt: now, expiresAt: expiry))
        return TransferTokenReply(token: token, expiresAt: expiry)
    }
}

extension TransferTokenIssuer {
    func register(on dispatcher: inout BusDispatcher) {
        let issuer = self
        dispatcher.on(TransferTokenRequest.self) { request, _ in try await issuer.issue(request) }
    }
}
