import Bus
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import Store

/// Content location for agents (SPEC M1–M4, C8) and its explanation for administrators.
///
/// A location request that finds none of the client's preferred DPs holding a content
/// distributed on demand asks the site, through the outbox, to send it to all of them,
/// once per version and DP however many clients ask. An explanation computes the same
/// answer and decision but changes nothing.
struct LocationService: Sendable {
    static let distributionManagerPeer = "distribution-manager"

    let database: ServiceDatabase
    let clock: any ServiceClock
    /// The decoded site, shared with the snapshot handler that replaces it.
    let view: SiteView
    let node: String
    let signer: SiteTokenSigner?
    /// Signed download tokens, reused for the same client, version and DPs while far from expiry.
    let tokens: DownloadTokenCache
    /// False when no distribution manager is configured: nothing to trigger.
    let relays: Bool
    let logger: Logger
    let pump: OutboxPump

    func register(on dispatcher: inout BusDispatcher) {
        dispatcher.on(ContentLocationQuery.self) { query, envelope in try await locate(Self.fromConnection(query, envelope)) }
        dispatcher.on(LocationExplainQuery.self) { query, _ in try await explain(query) }
    }

    /// An agent is answered (and given a token) for the address its connection comes from,
    /// whatever address it claims; the site and the administrator may ask for any address.
    static func fromConnection(_ query: ContentLocationQuery, _ envelope: Envelope) -> ContentLocationQuery {
        guard let peer = envelope.peer, peer.role == .agent, let address = peer.address else { return query }
        var query = query
        query.clientAddress = address
        return query
    }

    func locate(_ query: ContentLocationQuery) async throws -> ContentLocationReply {
        let answer = try ContentLocator(index: try await index()).locate(query)
        let onDemand = relays ? answer.onDemandTargets : []
        if !onDemand.isEmpty {
            let now = clock.now
            let requested = try await database.write { [node] db -> [String] in
                let already = Set(try String.fetchAll(db, sql: "SELECT distributionPoint FROM onDemandTrigger WHERE versionID = ?",
                                                      arguments: [answer.versionID]))
                let new = onDemand.filter { !already.contains($0) }
                guard !new.isEmpty else { return [] }
                for point in new {
                    try db.execute(sql: "INSERT INTO onDemandTrigger (versionID, distributionPoint, clientAddress, requestedAt) VALUES (?, ?, ?, ?)",
                                   arguments: [answer.versionID, point, query.clientAddress, now.timeIntervalSince1970])
                }
                try Outbox.enqueue(db, OnDemandDistribution(content: query.content, versionID: answer.versionID, distributionPoints: new,
                                                            clientAddress: query.clientAddress),
                                   to: Self.distributionManagerPeer, sender: node, now: now)
                return new
            }
            if !requested.isEmpty {
                pump.wake()
                logger.info("asked the site for on-demand distribution", metadata: [
                    "content": "\(query.content)", "client": "\(query.clientAddress)", "dps": "\(requested.joined(separator: ","))"])
            }
        }
        var token: DownloadTokenCache.Token?
        if let signer, !answer.points.isEmpty {
            // Good only at the DPs in this answer and the subnet's peer caches, and only for this
            // client; the same client asking again soon gets the same token (``DownloadTokenCache``).
            let key = DownloadTokenCache.Key(subject: query.clientAddress, versionID: answer.versionID,
                                             audience: answer.points.map(\.name) + [SiteTokenClaims.peerCacheAudience])
            token = try tokens.token(for: key, now: clock.now) { try signer.sign($0) }
        }
        logger.info("content location", metadata: [
            "content": "\(query.content)", "client": "\(query.clientAddress)", "fallback": "\(query.allowFallback)",
            "answer": "\(answer.points.isEmpty ? "content not available" : answer.points.map(\.name).joined(separator: ","))",
            "on-demand": "\(onDemand.joined(separator: ","))"])
        return ContentLocationReply(content: query.content, versionID: answer.versionID, distributionPoints: answer.points,
                                    downloadToken: token?.token, tokenExpiresAt: token?.expiresAt, onDemandDistribution: onDemand)
    }

    func explain(_ query: LocationExplainQuery) async throws -> LocationExplanation {
        let index = try await index()
        let snapshot = index.snapshot
        var address = query.clientAddress
        var deployment: DeploymentPolicy?
        if let agent = query.agent {
            let found = try await database.read { db in try String.fetchOne(db, sql: "SELECT address FROM agent WHERE name = ?", arguments: [agent]) }
            guard let agentAddress = found else {
                throw WireError(code: .notFound, message: "agent '\(agent)' has not registered with the management point")
            }
            address = agentAddress
            let numeric = AddressRange.parse(agentAddress) ?? 0
            deployment = snapshot.deployments.first { policy in
                policy.content == query.content
                    && AgentInventory.isMember(agent: agent, address: numeric, of: policy.collection, in: snapshot.collections)
            }
        }
        guard let address else {
            throw WireError(code: .invalidArgument, message: "name an agent or a client address")
        }
        let allowFallback = deployment?.allowFallback ?? query.allowFallback ?? false
        let slowNetwork = deployment?.slowNetwork ?? query.slowNetwork ?? .download
        let analysis = try ContentLocator(index: index)
            .analyze(content: query.content, versionID: deployment?.versionID, clientAddress: address, allowFallback: allowFallback)
        let onDemand = relays ? analysis.onDemandTargets : []
        let already = try await database.read { db in
            Set(try String.fetchAll(db, sql: "SELECT distributionPoint FROM onDemandTrigger WHERE versionID = ?", arguments: [analysis.versionID]))
        }
        let reply = ContentLocationReply(content: query.content, versionID: analysis.versionID, distributionPoints: analysis.points,
                                         downloadToken: nil, tokenExpiresAt: nil, onDemandDistribution: onDemand)
        return LocationExplanation(
            content: query.content, versionID: analysis.versionID, clientAddress: address, agent: query.agent, deploymentID: deployment?.id,
            allowFallback: allowFallback, slowNetwork: slowNetwork, distributeOnDemand: analysis.content.distributeOnDemand,
            candidates: analysis.candidates, answer: analysis.points, onDemandDistribution: onDemand,
            onDemandAlreadyRequested: onDemand.filter(already.contains),
            decision: LocationDecision.decide(reply, allowFallback: allowFallback, slowNetwork: slowNetwork, hasToken: signer != nil))
    }

    private func index() async throws -> SiteIndex {
        guard let index = try await view.index(loading: { try await Self.storedSnapshot(database) }) else {
            throw WireError(code: .unavailable, message: "the management point has not received the site's configuration yet")
        }
        return index
    }

    /// The snapshot the MP last applied, from its database (read once after a restart).
    static func storedSnapshot(_ database: ServiceDatabase) async throws -> SiteSnapshot? {
        let stored = try await database.read { db in try Data.fetchOne(db, sql: "SELECT snapshot FROM siteSnapshot WHERE id = 1") }
        return try stored.map { try EnvelopeCodec.value(SiteSnapshot.self, from: $0) }
    }
}
