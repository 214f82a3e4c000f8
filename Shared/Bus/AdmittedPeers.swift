import Foundation
public import Messages


/// Clients a server admits beyond its configuration, replaced as a whole at run time: the
/// MP admits the site's DPs from each snapshot (a DP added with `ferry dp add` can report
/// to it without a restart). A key or node the configuration lists keeps its configured role.
public final class AdmittedPeers: Sendable {
    private let peers = Mutex((byKey: [String: KnownPeer](), byNode: [String: KnownPeer]()))

    public init() {}

    /// From now on, exactly these peers are admitted (besides the configured ones).
    public func replace(with list: [KnownPeer]) {
        var byKey: [String: KnownPeer] = [:]
        var byNode: [String: KnownPeer] = [:]
        for peer in list {
            if let key = peer.publicKey { byKey[key] = peer }
            byNode[peer.node] = peer
        }
        peers.withLock { $0 = (byKey, byNode) }
    }

    func contains(publicKey: String) -> Bool { peers.withLock { $0.byKey[publicKey] != nil } }

    func peer(publicKey: String, address: String?) -> BusPeer? {
        peers.withLock { $0.byKey[publicKey] }.map { BusPeer(node: $0.node, role: $0.role, publicKey: publicKey, address: address) }
    }

    func peer(declaredNode node: String, address: String?) -> BusPeer? {
        peers.withLock { $0.byNode[node] }.map { BusPeer(node: $0.node, role: $0.role, publicKey: nil, address: address) }
    }
}
