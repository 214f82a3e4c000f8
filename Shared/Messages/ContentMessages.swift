import Foundation

/// Creates content from a source folder on the site server and imports its first version.
public struct CreateContent: Message {
    public static let wireName = "content.create"
    public static let summary = "Create content from a source folder; replies content.version."
    public static let example = CreateContent(name: "office", type: .package, priority: .medium, sourcePath: "/srv/source/office")
    public var name: String
    public var type: ContentType
    public var priority: Priority
    public var sourcePath: String
    public init(name: String, type: ContentType, priority: Priority, sourcePath: String) {
        self.name = name
        self.type = type
        self.priority = priority
        self.sourcePath = sourcePath
    }
}

/// Re-imports a content's source folder; a changed folder makes a new version.
public struct UpdateContent: Message {
    public static let wireName = "content.update"
    public static let summary = "Import the content's source folder again (optionally a new folder); replies content.version."
    public static let example = UpdateContent(name: "office", sourcePath: "/srv/source/office-v2")
    public var name: String
    public var sourcePath: String?
    public init(name: String, sourcePath: String?) {
        self.name = name
        self.sourcePath = sourcePath
    }
}

/// The version an import produced.
public struct ContentVersionReply: Message {
    public static let wireName = "content.version"
    public static let summary = "Result of an import: the content, its current version, and what was new."
    public static let example = ContentVersionReply(content: .example, version: .example, isNewVersion: true, newChunks: 3100, newBytes: 209_715_200)
    public var content: ContentSummary
    public var version: VersionSummary
    /// False when the folder had not changed since the current version.
    public var isNewVersion: Bool
    public var newChunks: Int
    public var newBytes: Int64
    /// The DPs the new version was queued to: every DP and DP-group member that holds the
    /// content (SPEC C3); each is sent only the chunks it lacks.
    public var queuedDistributionPoints: [String]?
    public init(content: ContentSummary, version: VersionSummary, isNewVersion: Bool, newChunks: Int, newBytes: Int64,
                queuedDistributionPoints: [String]? = nil) {
        self.queuedDistributionPoints = queuedDistributionPoints
        self.content = content
        self.version = version
        self.isNewVersion = isNewVersion
        self.newChunks = newChunks
        self.newBytes = newBytes
    }
}

/// One content object, as lists show it.
public struct ContentSummary: Codable, Sendable, Equatable {
    public static let example = ContentSummary(
        name: "office", type: .package, priority: .medium, sourcePath: "/srv/source/office",
        currentVersion: 1, currentVersionID: String(repeating: "ab", count: 32), totalBytes: 209_715_200, fileCount: 12,
        createdAt: Date(timeIntervalSince1970: 0), distributeOnDemand: false)
    public var name: String
    public var type: ContentType
    public var priority: Priority
    public var sourcePath: String
    public var currentVersion: Int
    public var currentVersionID: String
    public var totalBytes: Int64
    public var fileCount: Int
    public var createdAt: Date
    /// "Distribute the content to preferred DPs" (SPEC C8).
    public var distributeOnDemand: Bool?
    /// Whether updates reach DPs as deltas against what they hold (SPEC C3): always for
    /// applications, by the content's setting for packages (off unless set) and by the
    /// site's default for other types.
    public var differential: Bool?
    /// What DPs enabled for prestaged content are sent (SPEC C9); nil from an older site.
    public var prestage: PrestageMode?
    public init(name: String, type: ContentType, priority: Priority, sourcePath: String, currentVersion: Int,
                currentVersionID: String, totalBytes: Int64, fileCount: Int, createdAt: Date, distributeOnDemand: Bool? = nil,
                differential: Bool? = nil, prestage: PrestageMode? = nil) {
        self.prestage = prestage
        self.distributeOnDemand = distributeOnDemand
        self.differential = differential
        self.name = name
        self.type = type
        self.priority = priority
        self.sourcePath = sourcePath
        self.currentVersion = currentVersion
        self.currentVersionID = currentVersionID
        self.totalBytes = totalBytes
        self.fileCount = fileCount
        self.createdAt = createdAt
    }
}

/// One version of a content object.
public struct VersionSummary: Codable, Sendable, Equatable {
    public static let example = VersionSummary(number: 1, versionID: String(repeating: "ab", count: 32), totalBytes: 209_715_200,
                                               fileCount: 12, chunkCount: 3200, createdAt: Date(timeIntervalSince1970: 0))
    public var number: Int
    /// The manifest hash.
    public var versionID: String
    public var totalBytes: Int64
    public var fileCount: Int
    public var chunkCount: Int
    public var createdAt: Date
    /// 0 for a full version, 1...5 for the increments on top of it (SPEC C3); nil from an older site.
    public var chainPosition: Int?
    public init(number: Int, versionID: String, totalBytes: Int64, fileCount: Int, chunkCount: Int, createdAt: Date, chainPosition: Int? = nil) {
        self.number = number
        self.versionID = versionID
        self.totalBytes = totalBytes
        self.fileCount = fileCount
        self.chunkCount = chunkCount
        self.createdAt = createdAt
        self.chainPosition = chainPosition
    }
}

/// Lists every content object.
public struct ListContents: Message {
    public static let wireName = "content.list"
    public static let summary = "List content objects; replies content.list.reply."
    public static let example = ListContents()
    public init() {}
}

/// Every content object.
public struct ContentList: Message {
    public static let wireName = "content.list.reply"
    public static let summary = "Every content object of the site."
    public static let example = ContentList(contents: [.example])
    public var contents: [ContentSummary]
    public init(contents: [ContentSummary]) { self.contents = contents }
}

/// Asks for one content object with its versions and distribution.
public struct ShowContent: Message {
    public static let wireName = "content.show"
    public static let summary = "One content object's versions and per-DP state; replies content.detail."
    public static let example = ShowContent(name: "office")
    public var name: String
    public init(name: String) { self.name = name }
}

/// One content object with its versions and distribution.
public struct ContentDetail: Message {
    public static let wireName = "content.detail"
    public static let summary = "A content object, its versions and where each is distributed."
    public static let example = ContentDetail(content: .example, versions: [.example], targets: [.example])
    public var content: ContentSummary
    public var versions: [VersionSummary]
    public var targets: [DistributionTargetStatus]
    public init(content: ContentSummary, versions: [VersionSummary], targets: [DistributionTargetStatus]) {
        self.content = content
        self.versions = versions
        self.targets = targets
    }
}

/// Changes a content object's properties; fields left nil stay as they are.
public struct SetContent: Message {
    public static let wireName = "content.set"
    public static let summary = "Change a content's properties (distribute on demand, priority, binary differential replication, prestage mode); replies content.detail."
    public static let example = SetContent(name: "office", distributeOnDemand: true, priority: .high, differential: true)
    public var name: String
    public var distributeOnDemand: Bool?
    /// The distribution priority; queued and running transfers are re-ranked at once (SPEC C6).
    public var priority: Priority?
    /// Binary differential replication for this content (SPEC C3); applications always
    /// have it, so `false` for one is refused.
    public var differential: Bool?
    /// What DPs enabled for prestaged content are sent over the network (SPEC C9).
    public var prestage: PrestageMode?
    public init(name: String, distributeOnDemand: Bool?, priority: Priority? = nil, differential: Bool? = nil, prestage: PrestageMode? = nil) {
        self.prestage = prestage
        self.differential = differential
        self.priority = priority
        self.name = name
        self.distributeOnDemand = distributeOnDemand
    }
}
