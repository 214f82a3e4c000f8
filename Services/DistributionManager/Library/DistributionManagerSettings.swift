public import Foundation
public import ServiceKit
public import ContentStore

/// The distribution manager's configuration file.
public struct DistributionManagerSettings: Codable, Sendable {
    public var packageTransferManager: PeerSettings
    /// The management point that answers clients; it receives the site's snapshots.
    public var managementPoint: PeerSettings?
    /// The site's distribution points.
    public var distributionPoints: [DistributionPointSettings]
    /// The site's Ed25519 signing key (base64), written by `ferry cluster up`.
    public var siteSigningKeyFile: String
    public var chunking: ChunkingParameters?
    /// How long a transfer token (one DP, one version) stays valid; default 1 hour. The PTM
    /// asks for a new one at each attempt and before the one it holds expires.
    public var transferTokenLifetimeSeconds: Double?
}

/// One distribution point as the site's configuration lists it.
public struct DistributionPointSettings: Codable, Sendable {
    public var name: String
    public var busEndpoint: String
    public var httpURL: String
    public var publicKey: String?
    /// Or the file holding it (`FILE.pub` from `ferry keys generate`), read at start.
    public var publicKeyFile: String?
}
