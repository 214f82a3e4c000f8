public import Foundation
public import ServiceKit

/// The endpoint agent's configuration file.
public struct MulticastAgentSettings: Codable, Sendable {
    public var managementPoint: PeerSettings
    /// The endpoint's own IPv4 address: its HTTP requests leave from it, and boundary
    /// groups match it.
    public var address: String
    /// The endpoint's subnet, reported in the inventory (SPEC S5).
    public var subnet: String
    /// How often policy is polled (seed: 60 minutes).
    public var policyIntervalSeconds: Double?
    /// How long to wait before trying again when no DP has the content (seed: 1 hour, SPEC M4).
    public var retryIntervalSeconds: Double?
}
