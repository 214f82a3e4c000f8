import Foundation

/// Distribution manager to PTM: have one DP drop versions a newer full version replaced
/// (SPEC C3, the five-increment rule); command, acked.
public struct VersionRetirementJob: Message {
    public static let wireName = "version.retire"
    public static let summary = "Distribution manager to PTM: have a DP drop versions a full version replaced, and every chunk no kept version uses (command, acked)."
    public static let example = VersionRetirementJob(jobID: UUID(uuidString: "6F9619FF-8B86-D011-B42D-00CF4FC964FF") ?? UUID(), contentName: "office",
                                                     versionIDs: [String(repeating: "ab", count: 32)], distributionPoint: .example)
    public var jobID: UUID
    public var contentName: String
    public var versionIDs: [String]
    public var distributionPoint: DistributionPointAddress
    public init(jobID: UUID, contentName: String, versionIDs: [String], distributionPoint: DistributionPointAddress) {
        self.jobID = jobID
        self.contentName = contentName
        self.versionIDs = versionIDs
        self.distributionPoint = distributionPoint
    }
}

/// PTM to DP: drop these versions and collect the chunks no remaining version names.
///
/// Chunks the DP was asked about or received recently are kept even when no manifest names
/// them yet: they belong to a transfer in flight.
public struct RetireVersions: Message {
    public static let wireName = "dp.retire"
    public static let summary = "PTM to DP: drop versions and the chunks no remaining version uses (chunks of transfers in flight are kept); replies dp.retired."
    public static let example = RetireVersions(contentName: "office", versionIDs: [String(repeating: "ab", count: 32)])
    public var contentName: String
    public var versionIDs: [String]
    public init(contentName: String, versionIDs: [String]) {
        self.contentName = contentName
        self.versionIDs = versionIDs
    }
}

/// What a DP removed for a ``RetireVersions``.
public struct RetireVersionsReply: Message {
    public static let wireName = "dp.retired"
    public static let summary = "The versions a DP dropped, and the chunks and bytes it freed."
    public static let example = RetireVersionsReply(removedVersions: [String(repeating: "ab", count: 32)], removedChunks: 120,
                                                    removedBytes: 7_864_320, keptInFlight: 3)
    /// The versions whose manifests were removed (one the DP never had is not listed).
    public var removedVersions: [String]
    public var removedChunks: Int
    public var removedBytes: Int64
    /// Unreferenced chunks kept because a transfer in flight named them.
    public var keptInFlight: Int
    public init(removedVersions: [String], removedChunks: Int, removedBytes: Int64, keptInFlight: Int) {
        self.removedVersions = removedVersions
        self.removedChunks = removedChunks
        self.removedBytes = removedBytes
        self.keptInFlight = keptInFlight
    }
}
