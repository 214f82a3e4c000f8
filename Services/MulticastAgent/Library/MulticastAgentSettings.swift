public import Foundation
public import ServiceKit

/// The endpoint agent's configuration file.
public struct MulticastAgentSettings: Codable, Sendable, Equatable {
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
    /// Self-organizing multicast in the agent's subnet (SPEC S1–S6); absent: the defaults.
    public var multicast: SubnetSettings?
    /// Serve the verified cache to the subnet's agents and ask them before a DP (SPEC M6).
    /// Needs the subnet's control channel, so it is off where multicast cannot work (loopback).
    public var peerCaching: Bool?
    /// The site's token public key: the peer cache accepts only site-signed download
    /// tokens. Required when peer caching is on.
    public var sitePublicKeyFile: String?
    /// Run the agent's threads under Linux's batch scheduling policy, so its packet-by-packet
    /// wakeups do not preempt the user's work (or, on a shared host, the other receivers).
    public var backgroundScheduling: Bool?
    /// Chunk requests kept in flight per download from a DP or peer (1–32; default 4), so
    /// WAN round trips overlap instead of adding up.
    public var parallelDownloads: Int?

    public init(managementPoint: PeerSettings, address: String, subnet: String, policyIntervalSeconds: Double? = nil,
                retryIntervalSeconds: Double? = nil, multicast: SubnetSettings? = nil, peerCaching: Bool? = nil,
                sitePublicKeyFile: String? = nil, backgroundScheduling: Bool? = nil, parallelDownloads: Int? = nil) {
        self.managementPoint = managementPoint
        self.address = address
        self.subnet = subnet
        self.policyIntervalSeconds = policyIntervalSeconds
        self.retryIntervalSeconds = retryIntervalSeconds
        self.multicast = multicast
        self.peerCaching = peerCaching
        self.sitePublicKeyFile = sitePublicKeyFile
        self.backgroundScheduling = backgroundScheduling
        self.parallelDownloads = parallelDownloads
    }

    public var subnetSettings: SubnetSettings { multicast ?? SubnetSettings() }
    public var peerCachingEnabled: Bool { peerCaching ?? true }
    public var backgroundSchedulingEnabled: Bool { backgroundScheduling ?? true }
    public var parallelDownloadCount: Int { parallelDownloads ?? Self.defaultParallelDownloads }
    public static let defaultParallelDownloads = 4
    public static let parallelDownloadRange = 1...32
}

/// How the agent finds and elects its subnet's representative and multicasts.
public struct SubnetSettings: Codable, Sendable, Equatable {
    /// Multicast by default (a deployment can override it, SPEC S6). The seed's default is off.
    public var enabled: Bool?
    /// How long the representative waits before it multicasts (seed: one minute, SPEC S3).
    public var startDelaySeconds: Double?
    /// The control channel's group and port (election, session and peer discovery).
    public var controlGroup: String?
    public var controlPort: UInt16?
    /// The NORM data session's group and port.
    public var dataGroup: String?
    public var dataPort: UInt16?
    /// The fixed multicast rate.
    public var rateMegabitsPerSecond: Double?
    /// How long an agent listens for an existing session before it volunteers.
    public var discoverySeconds: Double?
    /// How long without the representative's heartbeat before members elect a new one.
    public var failoverSeconds: Double?
    /// How long a finished representative keeps announcing, so late members learn it is done.
    public var lingerSeconds: Double?

    public init() {}

    public var isEnabled: Bool { enabled ?? false }
    public var startDelay: Double { startDelaySeconds ?? 60 }
    public var group: String { controlGroup ?? "239.255.77.1" }
    public var port: UInt16 { controlPort ?? 7710 }
    public var normGroup: String { dataGroup ?? "239.255.77.2" }
    public var normPort: UInt16 { dataPort ?? 7711 }
    public var rateBitsPerSecond: Double { (rateMegabitsPerSecond ?? 300) * 1_000_000 }
    public var discovery: Double { discoverySeconds ?? 1.0 }
    public var failover: Double { failoverSeconds ?? 3.0 }
    public var linger: Double { lingerSeconds ?? 5.0 }
}

extension MulticastAgentSettings: ValidatableSettings {
    /// The MP's endpoint is well formed, the site's public key (for peer caching) is
    /// readable, and the intervals are positive.
    public func validate(in file: URL) throws {
        let check = SettingsValidator(file: file)
        try managementPoint.validate(with: check, "managementPoint")
        if let sitePublicKeyFile { try check.readableFile(sitePublicKeyFile, "sitePublicKeyFile") }
        if let policyIntervalSeconds { try check.number(policyIntervalSeconds, in: 0.1...(7 * 86_400), "policyIntervalSeconds", unit: " seconds") }
        if let retryIntervalSeconds { try check.number(retryIntervalSeconds, in: 0.1...(7 * 86_400), "retryIntervalSeconds", unit: " seconds") }
    }
}
