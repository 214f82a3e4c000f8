import Foundation

/// Where and how to reach a distribution point.
public struct DistributionPointAddress: Codable, Sendable, Equatable {
    public static let example = DistributionPointAddress(name: "dp1", busEndpoint: "tcp://127.0.0.1:7101",
                                                         httpURL: "http://127.0.0.1:8101", publicKey: String(repeating: "x", count: 40))
    public var name: String
    public var busEndpoint: String
    public var httpURL: String
    /// The DP's CurveZMQ public key (Z85).
    public var publicKey: String
    public init(name: String, busEndpoint: String, httpURL: String, publicKey: String) {
        self.name = name
        self.busEndpoint = busEndpoint
        self.httpURL = httpURL
        self.publicKey = publicKey
    }
}

/// A transfer job: bring one content version onto one standard DP (SPEC T1, T2).
public struct TransferJob: Message {
    public static let wireName = "transfer.job"
    public static let summary = "Distribution manager to PTM: copy one version to one DP (command, acked)."
    public static let example = TransferJob(
        jobID: UUID(uuidString: "6F9619FF-8B86-D011-B42D-00CF4FC964FF") ?? UUID(), contentName: "office",
        versionID: String(repeating: "ab", count: 32), version: 1, priority: .medium, distributionPoint: .example,
        libraryURL: "http://127.0.0.1:8001", redistribute: false, totalBytes: 209_715_200, chunkCount: 3200)
    public var jobID: UUID
    public var contentName: String
    public var versionID: String
    public var version: Int
    public var priority: Priority
    public var distributionPoint: DistributionPointAddress
    /// Base URL of the site content library the PTM reads chunks and manifests from.
    public var libraryURL: String
    public var redistribute: Bool
    public var totalBytes: Int64
    public var chunkCount: Int
    /// Set when the DP is a pull DP: the PTM copies nothing, it checks these sources and
    /// notifies the DP (SPEC T5).
    public var pullSources: [PullSourceAddress]?
    /// The version of the same content the DP has installed, when the content uses binary
    /// differential replication (SPEC C3): the PTM sends what the DP lacks as deltas
    /// against it. Nil: whole chunks.
    public var differentialBase: String?
    /// The DP is flagged for prestaged content and this version is not sent over the network
    /// (SPEC C9, P4): the PTM waits until the DP holds it, imported from a prestaged file.
    public var awaitPrestaged: Bool?
    public init(jobID: UUID, contentName: String, versionID: String, version: Int, priority: Priority,
                distributionPoint: DistributionPointAddress, libraryURL: String,
                redistribute: Bool, totalBytes: Int64, chunkCount: Int, pullSources: [PullSourceAddress]? = nil,
                differentialBase: String? = nil, awaitPrestaged: Bool? = nil) {
        self.awaitPrestaged = awaitPrestaged
        self.pullSources = pullSources
        self.differentialBase = differentialBase
        self.jobID = jobID
        self.contentName = contentName
        self.versionID = versionID
        self.version = version
        self.priority = priority
        self.distributionPoint = distributionPoint
        self.libraryURL = libraryURL
        self.redistribute = redistribute
        self.totalBytes = totalBytes
        self.chunkCount = chunkCount
    }
}

/// Progress of a running transfer; best effort, a lost one is replaced by the next.
public struct TransferProgress: Message {
    public static let wireName = "transfer.progress"
    public static let summary = "PTM to distribution manager: bytes done so far on one job (query-style, not retried)."
    public static let example = TransferProgress(jobID: TransferJob.example.jobID, distributionPoint: "dp1",
                                                 versionID: String(repeating: "ab", count: 32), bytesDone: 104_857_600,
                                                 bytesTotal: 209_715_200, attempt: 1, lastError: nil, nextAttemptAt: nil,
                                                 running: true, explanation: "sending at 11.2 MB/s, about 9 s left", etaSeconds: 9)
    public var jobID: UUID
    public var distributionPoint: String
    public var versionID: String
    public var bytesDone: Int64
    public var bytesTotal: Int64
    public var attempt: Int
    /// Set while the job waits to retry after a failed attempt.
    public var lastError: String?
    public var nextAttemptAt: Date?
    /// False while the job waits (queued, window closed, retry); nil from older PTMs (running).
    public var running: Bool?
    /// Why it waits or how it goes, in words (SPEC T6, issue 16): "queued behind 2
    /// higher-priority jobs", "window closed until Tue 18:00", "retry 3 of 100 at 14:05".
    public var explanation: String?
    /// For a running job, the seconds it should still take at its current rate.
    public var etaSeconds: Double?
    public init(jobID: UUID, distributionPoint: String, versionID: String, bytesDone: Int64, bytesTotal: Int64, attempt: Int,
                lastError: String?, nextAttemptAt: Date?, running: Bool? = nil, explanation: String? = nil, etaSeconds: Double? = nil) {
        self.running = running
        self.explanation = explanation
        self.etaSeconds = etaSeconds
        self.jobID = jobID
        self.distributionPoint = distributionPoint
        self.versionID = versionID
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.attempt = attempt
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
    }
}

/// The end of a transfer job.
public struct TransferReport: Message {
    public static let wireName = "transfer.report"
    public static let summary = "PTM to distribution manager: a job ended installed or failed (command, acked)."
    public static let example = TransferReport(jobID: TransferJob.example.jobID, distributionPoint: "dp1",
                                               versionID: String(repeating: "ab", count: 32), outcome: .installed,
                                               bytesPushed: 209_715_200, chunksPushed: 3200, chunksSkipped: 0, attempts: 1, reason: nil,
                                               durationSeconds: 18.5)
    public var jobID: UUID
    public var distributionPoint: String
    public var versionID: String
    public var outcome: TransferOutcome
    public var bytesPushed: Int64
    public var chunksPushed: Int
    /// Chunks the DP already had.
    public var chunksSkipped: Int
    public var attempts: Int
    public var reason: String?
    /// How long the last attempt took (the DP's priority is measured from it, SPEC C7).
    public var durationSeconds: Double?
    public init(jobID: UUID, distributionPoint: String, versionID: String, outcome: TransferOutcome, bytesPushed: Int64,
                chunksPushed: Int, chunksSkipped: Int, attempts: Int, reason: String?, durationSeconds: Double? = nil) {
        self.durationSeconds = durationSeconds
        self.jobID = jobID
        self.distributionPoint = distributionPoint
        self.versionID = versionID
        self.outcome = outcome
        self.bytesPushed = bytesPushed
        self.chunksPushed = chunksPushed
        self.chunksSkipped = chunksSkipped
        self.attempts = attempts
        self.reason = reason
    }
}

/// Asks a DP which of these chunks it lacks.
public struct MissingChunksQuery: Message {
    public static let wireName = "dp.missing-chunks"
    public static let summary = "PTM to DP: which of these chunk hashes are not in your store? Replies dp.missing-chunks.reply."
    public static let example = MissingChunksQuery(hashes: [String(repeating: "ab", count: 32)])
    public var hashes: [String]
    public init(hashes: [String]) { self.hashes = hashes }
}

/// The chunks a DP lacks.
public struct MissingChunksReply: Message {
    public static let wireName = "dp.missing-chunks.reply"
    public static let summary = "The subset of the asked hashes the DP does not hold."
    public static let example = MissingChunksReply(missing: [String(repeating: "ab", count: 32)])
    public var missing: [String]
    public init(missing: [String]) { self.missing = missing }
}

/// Asks a DP to verify one version completely.
public struct VerifyVersion: Message {
    public static let wireName = "dp.verify"
    public static let summary = "PTM to DP: re-hash every chunk of a version and record it as installed if complete."
    public static let example = VerifyVersion(contentName: "office", versionID: String(repeating: "ab", count: 32))
    public var contentName: String
    public var versionID: String
    public init(contentName: String, versionID: String) {
        self.contentName = contentName
        self.versionID = versionID
    }
}

/// The result of verifying a version on a DP.
public struct VerifyVersionReply: Message {
    public static let wireName = "dp.verify.reply"
    public static let summary = "Whether the version is complete on the DP, and what is missing or corrupt."
    public static let example = VerifyVersionReply(versionID: String(repeating: "ab", count: 32), complete: true, missing: [], corrupt: [])
    public var versionID: String
    public var complete: Bool
    public var missing: [String]
    public var corrupt: [String]
    public init(versionID: String, complete: Bool, missing: [String], corrupt: [String]) {
        self.versionID = versionID
        self.complete = complete
        self.missing = missing
        self.corrupt = corrupt
    }
}

/// PTM to distribution manager: a short-lived token for one job's DP and version.
///
/// Transfer tokens are scoped to one DP and one version and live an hour by default, so the
/// PTM asks before each attempt and again when the one it holds is about to expire.
public struct TransferTokenRequest: Message {
    public static let wireName = "transfer.token"
    public static let summary = "PTM to distribution manager: a transfer token for one DP and version; replies transfer.token.reply."
    public static let example = TransferTokenRequest(distributionPoint: "dp1", versionID: String(repeating: "ab", count: 32))
    public var distributionPoint: String
    public var versionID: String
    public init(distributionPoint: String, versionID: String) {
        self.distributionPoint = distributionPoint
        self.versionID = versionID
    }
}

/// A site-signed transfer token and when it expires.
public struct TransferTokenReply: Message {
    public static let wireName = "transfer.token.reply"
    public static let summary = "A transfer token valid at one DP (and the site library) for one version."
    public static let example = TransferTokenReply(token: "token", expiresAt: Date(timeIntervalSince1970: 1_800_000_000))
    public var token: String
    public var expiresAt: Date
    public init(token: String, expiresAt: Date) {
        self.token = token
        self.expiresAt = expiresAt
    }
}

/// The distribution manager's changes to what the PTM schedules by: DPs' schedules, rate
/// limits and priorities, DPs removed, contents' priorities (SPEC T3, C6, C7).
public struct TransferPolicyUpdate: Message {
    public static let wireName = "transfer.policy"
    public static let summary = "Distribution manager to PTM: DP policies, removed DPs, content priorities (command, acked)."
    public static let example = TransferPolicyUpdate(policies: [.example], removedDistributionPoints: ["dp9"],
                                                     contentPriorities: [ContentPriority(content: "office", priority: .high)])
    public var policies: [DistributionPointPolicy]
    /// DPs no longer in the site: their jobs are dropped, running ones stopped.
    public var removedDistributionPoints: [String]
    public var contentPriorities: [ContentPriority]
    public init(policies: [DistributionPointPolicy] = [], removedDistributionPoints: [String] = [], contentPriorities: [ContentPriority] = []) {
        self.policies = policies
        self.removedDistributionPoints = removedDistributionPoints
        self.contentPriorities = contentPriorities
    }
}

/// One content's distribution priority.
public struct ContentPriority: Codable, Sendable, Equatable {
    public var content: String
    public var priority: Priority
    public init(content: String, priority: Priority) {
        self.content = content
        self.priority = priority
    }
}
