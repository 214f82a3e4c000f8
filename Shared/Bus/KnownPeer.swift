import Foundation
public import Messages

/// A client a server accepts: its node name, its role, and its Curve public key.
///
/// Services list these in their configuration (`bus.clients`); the role decides which
/// message types the client may send (``Message/allowedSenders``).
public struct KnownPeer: Codable, Sendable, Equatable {
    public var node: String
    public var role: PeerRole
    /// Z85; required on a Curve bus (every service's default), unused only with `--insecure-bus`.
    public var publicKey: String?
    /// Or the file holding it (`ferry keys generate` writes `FILE.pub`), read at start.
    public var publicKeyFile: String?

    public init(node: String, role: PeerRole, publicKey: String?, publicKeyFile: String? = nil) {
        self.node = node
        self.role = role
        self.publicKey = publicKey
        self.publicKeyFile = publicKeyFile
    }
}

/// The clients one server knows, looked up by key (Curve) or by declared node (insecure).
public struct PeerDirectory: Sendable {
    private let byKey: [String: KnownPeer]
    private let byNode: [String: KnownPeer]

    /// - Throws: when two entries share a key or a node name: which one is meant would be a guess.
    public init(_ peers: [KnownPeer]) throws(PeerDirectoryError) {
        var byKey: [String: KnownPeer] = [:]
        var byNode: [String: KnownPeer] = [:]
        for peer in peers {
            guard byNode[peer.node] == nil else { throw PeerDirectoryError("bus.clients lists node '\(peer.node)' twice") }
            byNode[peer.node] = peer
            if let key = peer.publicKey {
                if let other = byKey[key] { throw PeerDirectoryError("bus.clients gives nodes '\(other.node)' and '\(peer.node)' the same public key") }
                byKey[key] = peer
            }
        }
        self.byKey = byKey
        self.byNode = byNode
    }

    /// The public keys the Curve handshake admits.
    public var allowedKeys: Set<String> { Set(byKey.keys) }

    /// The peer a Curve connection authenticated as, with the address it connects from.
    public func peer(publicKey: String, address: String?) -> BusPeer? {
        byKey[publicKey].map { BusPeer(node: $0.node, role: $0.role, publicKey: publicKey, address: address) }
    }

    /// On an insecure bus nothing proves who is speaking: the declared node is believed.
    public func peer(declaredNode node: String, address: String?) -> BusPeer? {
        byNode[node].map { BusPeer(node: $0.node, role: $0.role, publicKey: nil, address: address) }
    }
}

/// A client list that cannot be used as it stands.
public struct PeerDirectoryError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
