import Foundation

/// Adds a distribution point to the site at run time (issue 16).
public struct AddDistributionPoint: Message {
    public static let wireName = "dp.add"
    public static let summary = "Add a DP by its bus endpoint, HTTP URL and CurveZMQ public key; replies dp.detail."
    public static let example = AddDistributionPoint(name: "dp3", busEndpoint: "tcp://10.0.3.2:7101", httpURL: "http://10.0.3.2:8101",
                                                     publicKey: String(repeating: "x", count: 40), onSiteServer: false)
    public var name: String
    public var busEndpoint: String
    public var httpURL: String
    /// The DP's CurveZMQ public key (Z85, 40 characters); nil on an insecure test bus.
    public var publicKey: String?
    public var onSiteServer: Bool?
    public init(name: String, busEndpoint: String, httpURL: String, publicKey: String?, onSiteServer: Bool? = nil) {
        self.name = name
        self.busEndpoint = busEndpoint
        self.httpURL = httpURL
        self.publicKey = publicKey
        self.onSiteServer = onSiteServer
    }
}

/// Removes a distribution point from the site.
public struct RemoveDistributionPoint: Message {
    public static let wireName = "dp.remove"
    public static let summary = "Remove a DP from the site; its transfers stop, its content leaves the site's view; replies dp.removed."
    public static let example = RemoveDistributionPoint(name: "dp3")
    public var name: String
    public init(name: String) { self.name = name }
}

/// What removing a DP did.
public struct DistributionPointRemoved: Message {
    public static let wireName = "dp.removed"
    public static let summary = "The DP removed: what the site forgot and what was left on the DP."
    public static let example = DistributionPointRemoved(name: "dp3", forgottenVersions: 2, stoppedTransfers: 1, groups: ["branches"],
                                                         boundaryGroups: ["Branch 3"],
                                                         filesOnDistributionPoint: "left in place; re-adding the DP reuses them")
    public var name: String
    /// Versions the site no longer counts as on the DP (clients are not sent there any more).
    public var forgottenVersions: Int
    /// Transfers queued or running to it that were stopped.
    public var stoppedTransfers: Int
    /// DP groups and boundary groups it was taken out of.
    public var groups: [String]
    public var boundaryGroups: [String]
    /// What happened to the files in the DP's own store.
    public var filesOnDistributionPoint: String
    public init(name: String, forgottenVersions: Int, stoppedTransfers: Int, groups: [String], boundaryGroups: [String],
                filesOnDistributionPoint: String) {
        self.name = name
        self.forgottenVersions = forgottenVersions
        self.stoppedTransfers = stoppedTransfers
        self.groups = groups
        self.boundaryGroups = boundaryGroups
        self.filesOnDistributionPoint = filesOnDistributionPoint
    }
}

/// Changes a distribution point's properties; fields left nil stay as they are.
public struct SetDistributionPoint: Message {
    public static let wireName = "dp.set"
    public static let summary = "Change a DP's fallback, schedule, rate limit, priority, site-server flag, pull sources or prestaged flag; replies dp.detail."
    public static let example = SetDistributionPoint(name: "dp2", allowFallback: true, schedule: .alwaysOpen,
                                                     rateLimit: .pulse(blockKilobytes: 64, delaySeconds: 1), priority: 50,
                                                     automaticPriority: nil, onSiteServer: false)
    public var name: String
    /// Clients outside the DP's boundary groups may use it when their preferred DPs lack
    /// the content and their deployment allows fallback (SPEC P1, M1).
    public var allowFallback: Bool?
    public var schedule: TransferSchedule?
    public var rateLimit: RateLimit?
    /// A priority set by hand (1–1,000,000, lower first); it is no longer measured.
    public var priority: Int?
    /// True: measure the priority again from the next transfers.
    public var automaticPriority: Bool?
    public var onSiteServer: Bool?
    /// Makes the DP a pull DP with these ranked sources (SPEC P2); an empty list makes it a
    /// standard DP again, and its saved schedule and rate limit apply again (P5).
    public var pullSources: [PullSource]?
    /// Enables or disables prestaged content on the DP (SPEC C9); a pull DP so flagged waits
    /// for prestaged content and pulls nothing (P4).
    public var prestaged: Bool?
    /// Seconds between scheduled validations of this DP (SPEC C10); 0: never; a negative
    /// value: back to the site's interval (weekly unless configured).
    public var validationIntervalSeconds: Double?
    public init(name: String, allowFallback: Bool? = nil, schedule: TransferSchedule? = nil, rateLimit: RateLimit? = nil,
                priority: Int? = nil, automaticPriority: Bool? = nil, onSiteServer: Bool? = nil, pullSources: [PullSource]? = nil,
                prestaged: Bool? = nil, validationIntervalSeconds: Double? = nil) {
        self.validationIntervalSeconds = validationIntervalSeconds
        self.prestaged = prestaged
        self.pullSources = pullSources
        self.name = name
        self.allowFallback = allowFallback
        self.schedule = schedule
        self.rateLimit = rateLimit
        self.priority = priority
        self.automaticPriority = automaticPriority
        self.onSiteServer = onSiteServer
    }
}

/// Asks for one distribution point in full.
public struct ShowDistributionPoint: Message {
    public static let wireName = "dp.show"
    public static let summary = "One DP: schedule, rate limit, priority, its transfer queue and usage; replies dp.detail."
    public static let example = ShowDistributionPoint(name: "dp1")
    public var name: String
    public init(name: String) { self.name = name }
}

/// One distribution point in full.
public struct DistributionPointDetail: Message {
    public static let wireName = "dp.detail"
    public static let summary = "A DP's settings, measured priority, its transfers (with why each waits) and usage."
    public static let example = DistributionPointDetail(point: .example, lastTransferSeconds: 18.5, lastTransferBytes: 209_715_200,
                                                        queue: [DistributionQueueEntry(content: "office", target: .example)])
    public var point: DistributionPointSummary
    /// The last completed transfer the priority was measured from.
    public var lastTransferSeconds: Double?
    public var lastTransferBytes: Int64?
    /// Its contents, waiting, in progress, failed or installed.
    public var queue: [DistributionQueueEntry]
    public init(point: DistributionPointSummary, lastTransferSeconds: Double?, lastTransferBytes: Int64?, queue: [DistributionQueueEntry]) {
        self.point = point
        self.lastTransferSeconds = lastTransferSeconds
        self.lastTransferBytes = lastTransferBytes
        self.queue = queue
    }
}

/// One content's state on one DP.
public struct DistributionQueueEntry: Codable, Sendable, Equatable {
    public var content: String
    public var target: DistributionTargetStatus
    public init(content: String, target: DistributionTargetStatus) {
        self.content = content
        self.target = target
    }
}
