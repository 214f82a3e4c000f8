import Foundation

/// What a bus peer is, and so which message types it may send.
///
/// A service learns each client's role from its own configuration (the client's Curve
/// public key, node and role), never from the message: the envelope's `sender` is only
/// checked against it.
public enum PeerRole: String, Codable, Sendable, CaseIterable, Comparable {
    /// The distribution manager (the site server).
    case site
    /// The package transfer manager.
    case transferManager = "transfer-manager"
    /// The management point.
    case managementPoint = "management-point"
    case distributionPoint = "distribution-point"
    case agent
    /// The administrator's CLI (`ferry`).
    case admin

    public static func < (lhs: PeerRole, rhs: PeerRole) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }
}

/// The peer a bus message came from, as the receiving server authenticated it.
public struct BusPeer: Sendable, Equatable, Codable {
    /// The node name the configuration gives this peer (`agent1`, `ptm`, `cli`).
    public var node: String
    public var role: PeerRole
    /// The Curve public key (Z85) it authenticated with; nil on an insecure bus.
    public var publicKey: String?
    /// The IP address its connection comes from, when the transport knows it.
    public var address: String?

    public init(node: String, role: PeerRole, publicKey: String? = nil, address: String? = nil) {
        self.node = node
        self.role = role
        self.publicKey = publicKey
        self.address = address
    }
}

extension Envelope {
    /// Refuses the request when an agent speaks about another node than itself.
    ///
    /// Services call it where a message names an agent (status, registration, policy):
    /// other roles (the site, the MP relaying for an agent) may name any agent.
    public func requireAgentSelf(_ agent: String, field: String = "agent") throws(WireError) {
        guard let peer, peer.role == .agent, peer.node != agent else { return }
        throw WireError(code: .notAuthorized,
                        message: "\(type): agent '\(peer.node)' may report only about itself, not \(field) '\(agent.prefix(64))'")
    }
}
