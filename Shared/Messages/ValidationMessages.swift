import Foundation

/// Re-hashes a DP's content library now (SPEC C10): every installed version, or one content's.
public struct ValidateDistributionPoint: Message {
    public static let wireName = "dp.validate"
    public static let summary = "Validate a DP's content (all, or one content) now; replies dp.work.accepted."
    public static let example = ValidateDistributionPoint(name: "dp1", content: "office")
    public var name: String
    /// Only this content; nil: every content the DP holds.
    public var content: String?
    public init(name: String, content: String? = nil) {
        self.name = name
        self.content = content
    }
}

/// Re-sends to a DP only what its last validation found missing or corrupt (beyond the
/// seed, whose only cure is a redistribution).
public struct RepairDistributionPoint: Message {
    public static let wireName = "dp.repair"
    public static let summary = "Send a DP again only the chunks its validation found missing or corrupt; replies dp.work.accepted."
    public static let example = RepairDistributionPoint(name: "dp1")
    public var name: String
    public init(name: String) { self.name = name }
}

/// The contents a validation or repair was started for.
public struct DistributionPointWorkAccepted: Message {
    public static let wireName = "dp.work.accepted"
    public static let summary = "The contents of a DP a validation or repair was queued for, and those left alone with why."
    public static let example = DistributionPointWorkAccepted(distributionPoint: "dp1", queued: ["office"], skipped: ["drivers: not installed there"])
    public var distributionPoint: String
    public var queued: [String]
    public var skipped: [String]
    public init(distributionPoint: String, queued: [String], skipped: [String]) {
        self.distributionPoint = distributionPoint
        self.queued = queued
        self.skipped = skipped
    }
}

/// Distribution manager to PTM: have one DP re-hash one installed version (command, acked).
public struct ValidationJob: Message {
    public static let wireName = "validation.job"
    public static let summary = "Distribution manager to PTM: have a DP re-hash one installed version and report (command, acked)."
    public static let example = ValidationJob(jobID: UUID(uuidString: "6F9619FF-8B86-D011-B42D-00CF4FC964FF") ?? UUID(), contentName: "office",
                                              versionID: String(repeating: "ab", count: 32), distributionPoint: .example, totalBytes: 209_715_200)
    public var jobID: UUID
    public var contentName: String
    public var versionID: String
    public var distributionPoint: DistributionPointAddress
    /// The version's size, for how long the DP may take.
    public var totalBytes: Int64
    public init(jobID: UUID, contentName: String, versionID: String, distributionPoint: DistributionPointAddress, totalBytes: Int64) {
        self.jobID = jobID
        self.contentName = contentName
        self.versionID = versionID
        self.distributionPoint = distributionPoint
        self.totalBytes = totalBytes
    }
}

/// PTM to distribution manager: what a DP's validation of one version found (command).
public struct ValidationReport: Message {
    public static let wireName = "validation.report"
    public static let summary = "PTM to distribution manager: a DP's validation of one version, its missing and corrupt chunks (command)."
    public static let example = ValidationReport(jobID: UUID(uuidString: "6F9619FF-8B86-D011-B42D-00CF4FC964FF") ?? UUID(), contentName: "office",
                                                 versionID: String(repeating: "ab", count: 32), distributionPoint: "dp1", intact: false,
                                                 missingChunks: 1, corruptChunks: 2, checkedAt: Date(timeIntervalSince1970: 0), error: nil)
    public var jobID: UUID
    public var contentName: String
    public var versionID: String
    public var distributionPoint: String
    /// Every chunk present and hashing to its name.
    public var intact: Bool
    public var missingChunks: Int
    /// Corrupt chunks the DP found (and removed, so a repair sends them again).
    public var corruptChunks: Int
    public var checkedAt: Date
    /// Why the DP could not be asked; the version's state then stays as it was.
    public var error: String?
    public init(jobID: UUID, contentName: String, versionID: String, distributionPoint: String, intact: Bool, missingChunks: Int,
                corruptChunks: Int, checkedAt: Date, error: String?) {
        self.jobID = jobID
        self.contentName = contentName
        self.versionID = versionID
        self.distributionPoint = distributionPoint
        self.intact = intact
        self.missingChunks = missingChunks
        self.corruptChunks = corruptChunks
        self.checkedAt = checkedAt
        self.error = error
    }
}
