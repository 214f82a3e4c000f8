import Foundation

/// Lists the site's distribution points.
public struct ListDistributionPoints: Message {
    public static let wireName = "dp.list"
    public static let summary = "List distribution points; replies dp.list.reply."
    public static let example = ListDistributionPoints()
    public init() {}
}

/// One distribution point as the site knows it.
public struct DistributionPointSummary: Codable, Sendable, Equatable {
    public static let example = DistributionPointSummary(name: "dp1", busEndpoint: "tcp://127.0.0.1:7101",
                                                         httpURL: "http://127.0.0.1:8101", installedVersions: 2, pendingVersions: 0,
                                                         usage: .example, allowFallback: false, groups: ["branches"],
                                                         priority: 100, priorityIsManual: false, onSiteServer: false,
                                                         schedule: ["mon-fri 08-18 closed"], rateLimit: "unlimited")
    public var name: String
    public var busEndpoint: String
    public var httpURL: String
    public var installedVersions: Int
    public var pendingVersions: Int
    /// The DP's own count of unique clients; nil when the DP did not answer in time.
    public var usage: DistributionPointUsageReply?
    /// Clients outside its boundary groups may use it as a fallback (SPEC P1).
    public var allowFallback: Bool?
    /// The DP groups it belongs to.
    public var groups: [String]?
    /// Its transfer priority (lower first among equal content priority, SPEC C7).
    public var priority: Int?
    /// The priority was set by hand and is not measured any more.
    public var priorityIsManual: Bool?
    /// On the site server: no schedule and no rate limit (SPEC T3).
    public var onSiteServer: Bool?
    /// The weekly schedule as rules (`open`, `mon-fri 08-18 closed`, …).
    public var schedule: [String]?
    /// The rate limit as `ferry dp set --rate` reads it.
    public var rateLimit: String?
    /// A pull DP's ranked sources (SPEC P2); nil or empty for a standard DP. Its schedule and
    /// rate limit are kept but not used while it pulls (P4).
    public var pullSources: [PullSource]?
    /// Enabled for prestaged content (SPEC C9): each content's prestage mode decides what it is sent.
    public var prestaged: Bool?
    /// Seconds between scheduled validations (SPEC C10): the DP's own or the site's; 0: none.
    public var validationIntervalSeconds: Double?
    /// True when the interval is the DP's own, not the site's.
    public var validationIntervalIsOwn: Bool?
    public init(name: String, busEndpoint: String, httpURL: String, installedVersions: Int, pendingVersions: Int,
                usage: DistributionPointUsageReply? = nil, allowFallback: Bool? = nil, groups: [String]? = nil,
                priority: Int? = nil, priorityIsManual: Bool? = nil, onSiteServer: Bool? = nil, schedule: [String]? = nil,
                rateLimit: String? = nil, pullSources: [PullSource]? = nil, prestaged: Bool? = nil,
                validationIntervalSeconds: Double? = nil, validationIntervalIsOwn: Bool? = nil) {
        self.validationIntervalSeconds = validationIntervalSeconds
        self.validationIntervalIsOwn = validationIntervalIsOwn
        self.prestaged = prestaged
        self.pullSources = pullSources
        self.priority = priority
        self.priorityIsManual = priorityIsManual
        self.onSiteServer = onSiteServer
        self.schedule = schedule
        self.rateLimit = rateLimit
        self.allowFallback = allowFallback
        self.groups = groups
        self.name = name
        self.busEndpoint = busEndpoint
        self.httpURL = httpURL
        self.installedVersions = installedVersions
        self.pendingVersions = pendingVersions
        self.usage = usage
    }
}

/// The site's distribution points.
public struct DistributionPointList: Message {
    public static let wireName = "dp.list.reply"
    public static let summary = "Every distribution point of the site."
    public static let example = DistributionPointList(points: [.example])
    public var points: [DistributionPointSummary]
    public init(points: [DistributionPointSummary]) { self.points = points }
}

/// Distributes a content's current version to DPs, DP groups and collections (SPEC C4).
public struct Distribute: Message {
    public static let wireName = "distribute"
    public static let summary = "Send the current version of a content to DPs, DP groups, collections; replies distribute.accepted."
    public static let example = Distribute(name: "office", distributionPoints: ["dp1", "dp2"], redistribute: false,
                                           distributionPointGroups: ["branches"], collections: ["Branch 2"])
    public var name: String
    public var distributionPoints: [String]
    /// Copy every chunk again even where the DP has it (SPEC C5).
    public var redistribute: Bool
    /// Every member now, and members added later (the group keeps the content).
    public var distributionPointGroups: [String]
    /// Every DP group associated with the collection now.
    public var collections: [String]
    public init(name: String, distributionPoints: [String], redistribute: Bool, distributionPointGroups: [String] = [], collections: [String] = []) {
        self.name = name
        self.distributionPoints = distributionPoints
        self.redistribute = redistribute
        self.distributionPointGroups = distributionPointGroups
        self.collections = collections
    }
}

extension Distribute {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try container.decode(String.self, forKey: .name),
                  distributionPoints: try container.decode([String].self, forKey: .distributionPoints),
                  redistribute: try container.decode(Bool.self, forKey: .redistribute),
                  distributionPointGroups: try container.decodeIfPresent([String].self, forKey: .distributionPointGroups) ?? [],
                  collections: try container.decodeIfPresent([String].self, forKey: .collections) ?? [])
    }
}

/// What a distribute request started.
public struct DistributeAccepted: Message {
    public static let wireName = "distribute.accepted"
    public static let summary = "The version being distributed and the DPs it was queued for."
    public static let example = DistributeAccepted(name: "office", versionID: String(repeating: "ab", count: 32), version: 1,
                                                   queued: ["dp1"], alreadyInstalled: ["dp2"], alreadyInProgress: [])
    public var name: String
    public var versionID: String
    public var version: Int
    /// DPs a transfer job was queued for.
    public var queued: [String]
    /// DPs that already hold this version (nothing to do).
    public var alreadyInstalled: [String]
    /// DPs already waiting for or receiving this version (not queued twice).
    public var alreadyInProgress: [String]
    public init(name: String, versionID: String, version: Int, queued: [String], alreadyInstalled: [String], alreadyInProgress: [String]) {
        self.name = name
        self.versionID = versionID
        self.version = version
        self.queued = queued
        self.alreadyInstalled = alreadyInstalled
        self.alreadyInProgress = alreadyInProgress
    }
}

/// Asks where a content's current version stands on each target DP.
public struct DistributionStatusQuery: Message {
    public static let wireName = "status.query"
    public static let summary = "Per-DP state of a content's current version; replies status.reply."
    public static let example = DistributionStatusQuery(name: "office")
    public var name: String
    public init(name: String) { self.name = name }
}

/// Per-DP state of one version.
public struct DistributionTargetStatus: Codable, Sendable, Equatable {
    public static let example = DistributionTargetStatus(
        distributionPoint: "dp1", versionID: String(repeating: "ab", count: 32), version: 1, state: .inProgress,
        bytesDone: 104_857_600, bytesTotal: 209_715_200, attempts: 1, reason: nil, updatedAt: Date(timeIntervalSince1970: 0),
        origin: "dp group branches")
    public var distributionPoint: String
    public var versionID: String
    public var version: Int
    public var state: DistributionState
    public var bytesDone: Int64
    public var bytesTotal: Int64
    public var attempts: Int
    public var reason: String?
    public var updatedAt: Date
    /// Why the DP is a target: named by the administrator, a DP group, a collection, or on
    /// demand for a client.
    public var origin: String?
    public init(distributionPoint: String, versionID: String, version: Int, state: DistributionState, bytesDone: Int64,
                bytesTotal: Int64, attempts: Int, reason: String?, updatedAt: Date, origin: String? = nil) {
        self.origin = origin
        self.distributionPoint = distributionPoint
        self.versionID = versionID
        self.version = version
        self.state = state
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.attempts = attempts
        self.reason = reason
        self.updatedAt = updatedAt
    }
}

/// Where a content's current version stands on each target DP.
public struct DistributionStatusReply: Message {
    public static let wireName = "status.reply"
    public static let summary = "A content's current version and its state on every target DP."
    public static let example = DistributionStatusReply(name: "office", versionID: String(repeating: "ab", count: 32), version: 1, targets: [.example])
    public var name: String
    public var versionID: String
    public var version: Int
    public var targets: [DistributionTargetStatus]
    public init(name: String, versionID: String, version: Int, targets: [DistributionTargetStatus]) {
        self.name = name
        self.versionID = versionID
        self.version = version
        self.targets = targets
    }
}

/// Asks a DP for its usage.
public struct DistributionPointUsageQuery: Message {
    public static let wireName = "dp.usage"
    public static let summary = "Distribution manager to DP: unique clients per content; replies dp.usage.reply."
    public static let example = DistributionPointUsageQuery()
    public init() {}
}

/// Unique clients of one content on one DP.
public struct ContentUsage: Codable, Sendable, Equatable {
    public static let example = ContentUsage(content: "office", uniqueClients: 3)
    public var content: String
    public var uniqueClients: Int
    public init(content: String, uniqueClients: Int) {
        self.content = content
        self.uniqueClients = uniqueClients
    }
}

/// A DP's usage (SPEC P6): unique client hits, per content and in all.
public struct DistributionPointUsageReply: Message, Equatable {
    public static let wireName = "dp.usage.reply"
    public static let summary = "Unique clients per content on the DP (by download token subject), and in all."
    public static let example = DistributionPointUsageReply(contents: [.example], uniqueClients: 3)
    public var contents: [ContentUsage]
    public var uniqueClients: Int
    public init(contents: [ContentUsage], uniqueClients: Int) {
        self.contents = contents
        self.uniqueClients = uniqueClients
    }
}
