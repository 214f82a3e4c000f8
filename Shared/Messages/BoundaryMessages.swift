import Foundation

/// One address range a boundary group covers: a CIDR subnet or an inclusive IPv4 range.
public struct BoundaryRange: Codable, Sendable, Equatable {
    public static let example = BoundaryRange(subnet: "127.0.2.0/24", firstAddress: nil, lastAddress: nil)
    public var subnet: String?
    public var firstAddress: String?
    public var lastAddress: String?
    public init(subnet: String?, firstAddress: String?, lastAddress: String?) {
        self.subnet = subnet
        self.firstAddress = firstAddress
        self.lastAddress = lastAddress
    }
}

/// A DP's membership in a boundary group, with the link speed clients there see (SPEC M2).
public struct BoundaryGroupMember: Codable, Sendable, Equatable {
    public static let example = BoundaryGroupMember(distributionPoint: "dp1", slow: false)
    public var distributionPoint: String
    /// Slow links are "slow" in content location answers; fast is the default.
    public var slow: Bool
    public init(distributionPoint: String, slow: Bool) {
        self.distributionPoint = distributionPoint
        self.slow = slow
    }
}

/// A boundary group: the address ranges of a network location and the DPs preferred there.
public struct BoundaryGroup: Codable, Sendable, Equatable {
    public static let example = BoundaryGroup(name: "branch-2", ranges: [.example], members: [.example])
    public var name: String
    public var ranges: [BoundaryRange]
    public var members: [BoundaryGroupMember]
    public init(name: String, ranges: [BoundaryRange], members: [BoundaryGroupMember]) {
        self.name = name
        self.ranges = ranges
        self.members = members
    }
}

/// Creates a boundary group, or adds ranges to an existing one.
public struct CreateBoundaryGroup: Message {
    public static let wireName = "boundary-group.create"
    public static let summary = "Create a boundary group from subnets and address ranges; replies boundary-group.reply."
    public static let example = CreateBoundaryGroup(name: "branch-2", ranges: [.example])
    public var name: String
    public var ranges: [BoundaryRange]
    public init(name: String, ranges: [BoundaryRange]) {
        self.name = name
        self.ranges = ranges
    }
}

/// Adds a DP to a boundary group (or changes its link speed there).
public struct AddBoundaryGroupMember: Message {
    public static let wireName = "boundary-group.add-dp"
    public static let summary = "Make a DP preferred for a boundary group, fast or slow; replies boundary-group.reply."
    public static let example = AddBoundaryGroupMember(group: "branch-2", member: .example)
    public var group: String
    public var member: BoundaryGroupMember
    public init(group: String, member: BoundaryGroupMember) {
        self.group = group
        self.member = member
    }
}

/// Lists boundary groups.
public struct ListBoundaryGroups: Message {
    public static let wireName = "boundary-group.list"
    public static let summary = "List boundary groups; replies boundary-group.reply."
    public static let example = ListBoundaryGroups()
    public init() {}
}

/// Boundary groups, as the site knows them.
public struct BoundaryGroupsReply: Message {
    public static let wireName = "boundary-group.reply"
    public static let summary = "The site's boundary groups with their ranges and DPs."
    public static let example = BoundaryGroupsReply(groups: [.example])
    public var groups: [BoundaryGroup]
    public init(groups: [BoundaryGroup]) { self.groups = groups }
}

/// Where one DP is and which content versions it holds, as the MP needs it.
public struct LocatableDistributionPoint: Codable, Sendable, Equatable {
    public static let example = LocatableDistributionPoint(name: "dp1", httpURL: "http://127.0.0.1:8101",
                                                           installedVersions: [String(repeating: "ab", count: 32)], allowFallback: true)
    public var name: String
    public var httpURL: String
    public var installedVersions: [String]
    /// Clients outside its boundary groups may use it as a (slow) fallback source (SPEC P1, M1).
    public var allowFallback: Bool
    /// Versions whose last transfer to this DP failed: the MP forgets its on-demand trigger
    /// for them, so the next client that asks triggers the distribution again (SPEC C8).
    public var failedVersions: [String]?
    /// The DP's CurveZMQ public key: the MP admits it as a DP, so a pull DP can report and
    /// ask for tokens (SPEC P3).
    public var publicKey: String?
    /// A pull DP's sources: the DPs a pull token for it may open.
    public var pullSources: [String]?
    public init(name: String, httpURL: String, installedVersions: [String], allowFallback: Bool = false, failedVersions: [String]? = nil,
                publicKey: String? = nil, pullSources: [String]? = nil) {
        self.publicKey = publicKey
        self.pullSources = pullSources
        self.failedVersions = failedVersions
        self.name = name
        self.httpURL = httpURL
        self.installedVersions = installedVersions
        self.allowFallback = allowFallback
    }
}

extension LocatableDistributionPoint {
    // Snapshots stored before fallback existed lack the flag: no fallback.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try container.decode(String.self, forKey: .name), httpURL: try container.decode(String.self, forKey: .httpURL),
                  installedVersions: try container.decode([String].self, forKey: .installedVersions),
                  allowFallback: try container.decodeIfPresent(Bool.self, forKey: .allowFallback) ?? false,
                  failedVersions: try container.decodeIfPresent([String].self, forKey: .failedVersions),
                  publicKey: try container.decodeIfPresent(String.self, forKey: .publicKey),
                  pullSources: try container.decodeIfPresent([String].self, forKey: .pullSources))
    }
}

/// A content's current version, as the MP needs it to resolve names.
public struct LocatableContent: Codable, Sendable, Equatable {
    public static let example = LocatableContent(name: "office", currentVersionID: String(repeating: "ab", count: 32), distributeOnDemand: true)
    public var name: String
    public var currentVersionID: String
    /// "Distribute the content to preferred DPs" (SPEC C8): a client finding none of its
    /// preferred DPs holding it makes the MP ask the site to send it there.
    public var distributeOnDemand: Bool
    public init(name: String, currentVersionID: String, distributeOnDemand: Bool = false) {
        self.name = name
        self.currentVersionID = currentVersionID
        self.distributeOnDemand = distributeOnDemand
    }
}

extension LocatableContent {
    // Snapshots stored before on-demand distribution existed lack the flag: off.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try container.decode(String.self, forKey: .name),
                  currentVersionID: try container.decode(String.self, forKey: .currentVersionID),
                  distributeOnDemand: try container.decodeIfPresent(Bool.self, forKey: .distributeOnDemand) ?? false)
    }
}

/// The distribution manager's whole client-facing picture for the management point.
///
/// Sent (through the outbox) after every change that affects content location; each
/// carries a rising sequence number so an older snapshot never replaces a newer one.
public struct SiteSnapshot: Message {
    public static let wireName = "site.snapshot"
    public static let summary = "Distribution manager to MP: boundary groups, DPs with their installed versions, contents (command, acked)."
    public static let example = SiteSnapshot(sequence: 7, boundaryGroups: [.example], distributionPoints: [.example], contents: [.example],
                                             deployments: [.example], collections: [.example])
    public var sequence: Int64
    public var boundaryGroups: [BoundaryGroup]
    public var distributionPoints: [LocatableDistributionPoint]
    public var contents: [LocatableContent]
    /// Every active deployment (the newest per content).
    public var deployments: [DeploymentPolicy]
    /// Collections other than All Systems, which holds every agent.
    public var collections: [CollectionDefinition]
    public init(sequence: Int64, boundaryGroups: [BoundaryGroup], distributionPoints: [LocatableDistributionPoint], contents: [LocatableContent],
                deployments: [DeploymentPolicy], collections: [CollectionDefinition]) {
        self.collections = collections
        self.sequence = sequence
        self.boundaryGroups = boundaryGroups
        self.distributionPoints = distributionPoints
        self.contents = contents
        self.deployments = deployments
    }
}

/// A client asks where to get a content (SPEC M1).
public struct ContentLocationQuery: Message {
    public static let wireName = "location.query"
    public static let summary = "Where can this client get this content? Replies location.reply."
    public static let example = ContentLocationQuery(content: "office", versionID: nil, clientAddress: "127.0.2.10", allowFallback: false)
    public var content: String
    /// A specific version; the content's current version when nil.
    public var versionID: String?
    public var clientAddress: String
    public var allowFallback: Bool
    public init(content: String, versionID: String?, clientAddress: String, allowFallback: Bool) {
        self.content = content
        self.versionID = versionID
        self.clientAddress = clientAddress
        self.allowFallback = allowFallback
    }
}

/// One DP in a content location answer.
public struct LocatedDistributionPoint: Codable, Sendable, Equatable {
    public static let example = LocatedDistributionPoint(name: "dp1", httpURL: "http://127.0.0.1:8101", preferred: true, slow: false,
                                                         boundaryGroups: ["branch-2"])
    public var name: String
    public var httpURL: String
    public var preferred: Bool
    public var slow: Bool
    public var boundaryGroups: [String]
    public init(name: String, httpURL: String, preferred: Bool, slow: Bool, boundaryGroups: [String]) {
        self.name = name
        self.httpURL = httpURL
        self.preferred = preferred
        self.slow = slow
        self.boundaryGroups = boundaryGroups
    }
}

/// The MP's answer: DPs holding the version, preferred first, and a download token.
public struct ContentLocationReply: Message {
    public static let wireName = "location.reply"
    public static let summary = "Preferred DPs holding the version (fast before slow), and a short-lived download token."
    public static let example = ContentLocationReply(content: "office", versionID: String(repeating: "ab", count: 32),
                                                     distributionPoints: [.example], downloadToken: "token",
                                                     tokenExpiresAt: Date(timeIntervalSince1970: 0), onDemandDistribution: ["dp2"])
    public var content: String
    public var versionID: String
    /// Preferred DPs first (fast, then slow), then fallback DPs (always slow). Empty when no
    /// DP holds the version for this client: "content not available" (SPEC M4).
    public var distributionPoints: [LocatedDistributionPoint]
    public var downloadToken: String?
    public var tokenExpiresAt: Date?
    /// The client's preferred DPs the site was asked to distribute the content to, because
    /// none of them had it and the content is distributed on demand (SPEC C8).
    public var onDemandDistribution: [String]
    public init(content: String, versionID: String, distributionPoints: [LocatedDistributionPoint], downloadToken: String?, tokenExpiresAt: Date?,
                onDemandDistribution: [String] = []) {
        self.content = content
        self.versionID = versionID
        self.distributionPoints = distributionPoints
        self.downloadToken = downloadToken
        self.tokenExpiresAt = tokenExpiresAt
        self.onDemandDistribution = onDemandDistribution
    }
}

extension ContentLocationReply {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(content: try container.decode(String.self, forKey: .content), versionID: try container.decode(String.self, forKey: .versionID),
                  distributionPoints: try container.decode([LocatedDistributionPoint].self, forKey: .distributionPoints),
                  downloadToken: try container.decodeIfPresent(String.self, forKey: .downloadToken),
                  tokenExpiresAt: try container.decodeIfPresent(Date.self, forKey: .tokenExpiresAt),
                  onDemandDistribution: try container.decodeIfPresent([String].self, forKey: .onDemandDistribution) ?? [])
    }
}
