import Bus
import Clocks
import Foundation
import Logging
import Messages
import ServiceKit
import Store

/// What the MP does for pull DPs (SPEC P3, P6): admits the site's DPs to its bus from each
/// snapshot, signs each pull DP a token for reading its sources, and relays its status to
/// the site.
struct PullDistributionPointRelay: Sendable {
    static let defaultTokenLifetime: TimeInterval = 900

    let database: ServiceDatabase
    let clock: any ServiceClock
    let view: SiteView
    let admitted: AdmittedPeers
    let signer: SiteTokenSigner?
    let tokenLifetime: TimeInterval
    let node: String
    let relays: Bool
    let logger: Logger
    let pump: OutboxPump

    /// The DPs of `snapshot`, admitted as DPs by their keys (and no one else).
    static func admit(_ snapshot: SiteSnapshot?, into admitted: AdmittedPeers) {
        admitted.replace(with: (snapshot?.distributionPoints ?? []).map { point in
            KnownPeer(node: point.name, role: .distributionPoint, publicKey: point.publicKey)
        })
    }

    func register(on dispatcher: inout BusDispatcher) {
        let relay = self
        dispatcher.on(PullTokenRequest.self) { request, envelope in try await relay.token(request, envelope) }
        dispatcher.onCommand(PullStatusReport.self, database: database) { [node, relays, clock] report, envelope, db in
            guard let peer = envelope.peer, peer.role == .distributionPoint, peer.node == report.status.distributionPoint else {
                throw WireError(code: .notAuthorized, message: "pull.status: a DP may report only about itself, not '\(report.status.distributionPoint.prefix(64))'")
            }
            if relays { try Outbox.enqueue(db, report, to: LocationService.distributionManagerPeer, sender: node, now: clock.now) }
            return .applied
        } afterCommit: { [logger, pump] report in
            let status = report.status
            logger.info("pull DP status", metadata: ["dp": "\(status.distributionPoint)", "content": "\(status.contentName)",
                                                     "state": "\(status.state.rawValue)", "source": "\(status.source ?? "-")",
                                                     "bytes": "\(status.bytesDone)"])
            pump.wake()
        }
    }

    /// A pull token for the asking DP's sources, as the site's snapshot lists them.
    func token(_ request: PullTokenRequest, _ envelope: Envelope) async throws -> PullTokenReply {
        guard let peer = envelope.peer, peer.role == .distributionPoint else {
            throw WireError(code: .notAuthorized, message: "pull.token: only a DP may ask for a pull token")
        }
        guard request.versionID.utf8.count == 64, request.versionID.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw WireError(code: .invalidArgument, message: "'\(request.versionID.prefix(80))' is not a version id")
        }
        guard let signer else {
            throw WireError(code: .unavailable, message: "this management point has no site signing key (siteSigningKeyFile), so it cannot sign pull tokens")
        }
        guard let snapshot = try await view.index(loading: { try await LocationService.storedSnapshot(database) })?.snapshot else {
            throw WireError(code: .unavailable, message: "the management point has not received the site's configuration yet")
        }
        guard let point = snapshot.distributionPoints.first(where: { $0.name == peer.node }), let sources = point.pullSources, !sources.isEmpty else {
            throw WireError(code: .notAuthorized, message: "\(peer.node) is not a pull DP at this site")
        }
        let now = clock.now
        let expiry = now.addingTimeInterval(tokenLifetime)
        let token = try signer.sign(SiteTokenClaims(scope: SiteTokenClaims.pullScope, subject: peer.node, audience: sources,
                                                    versionID: request.versionID, issuedAt: now, expiresAt: expiry))
        logger.info("pull token issued", metadata: ["dp": "\(peer.node)", "sources": "\(sources.joined(separator: ","))",
                                                   "version-id": "\(request.versionID)"])
        return PullTokenReply(token: token, audience: sources, expiresAt: expiry)
    }
}
