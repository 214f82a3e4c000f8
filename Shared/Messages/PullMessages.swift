import Foundation

/// One source of a pull DP: a DP it may download from, and its rank (SPEC P2). Lower ranks
/// are tried first; among equal ranks the pull DP picks at random.
public struct PullSource: Codable, Sendable, Equatable, Hashable {
    public static let example = PullSource(name: "dp1", rank: 1)
    public var name: String
    public var rank: Int
    public init(name: String, rank: Int) {
        self.name = name
        self.rank = rank
    }

    /// Ranks an administrator may give: 1 (first) to 1,000.
    public static let validRanks = 1...1_000
}

/// A pull DP's source as a job carries it: its rank and where to reach it.
public struct PullSourceAddress: Codable, Sendable, Equatable {
    public static let example = PullSourceAddress(name: "dp1", rank: 1, httpURL: "http://127.0.0.1:8101",
                                                  busEndpoint: "tcp://127.0.0.1:7101", publicKey: String(repeating: "x", count: 40))
    public var name: String
    public var rank: Int
    public var httpURL: String
    public var busEndpoint: String
    /// The source's CurveZMQ public key (Z85); empty on an insecure test bus.
    public var publicKey: String
    public init(name: String, rank: Int, httpURL: String, busEndpoint: String, publicKey: String) {
        self.name = name
        self.rank = rank
        self.httpURL = httpURL
        self.busEndpoint = busEndpoint
        self.publicKey = publicKey
    }
}

/// Where one pull stands, as the pull DP tells it (SPEC P3, T5).
public enum PullState: String, Codable, Sendable, CaseIterable {
    /// No source holds the version yet; the pull DP tries again at `nextAttemptAt`.
    case waitingForSource = "waiting-for-source"
    case downloading
    case installed
    case failed
    /// The pull DP has no such job (it never got the notification, or lost its state).
    case unknown

    /// The job is over: nothing more will change.
    public var isFinal: Bool { self == .installed || self == .failed }
}

/// One pull job's status.
public struct PullJobStatus: Codable, Sendable, Equatable {
    public static let example = PullJobStatus(jobID: TransferJob.example.jobID, distributionPoint: "dp5", contentName: "office",
                                              versionID: String(repeating: "ab", count: 32), state: .downloading,
                                              bytesDone: 1_048_576, bytesTotal: 209_715_200, source: "dp1",
                                              detail: "downloading from dp1 (rank 1)", nextAttemptAt: nil,
                                              updatedAt: Date(timeIntervalSince1970: 1_800_000_000))
    public var jobID: UUID
    /// The pull DP.
    public var distributionPoint: String
    public var contentName: String
    public var versionID: String
    public var state: PullState
    public var bytesDone: Int64
    public var bytesTotal: Int64
    /// The source it is pulling from or finished from.
    public var source: String?
    /// Why it waits, what failed, or how it goes, in words.
    public var detail: String?
    public var nextAttemptAt: Date?
    /// When the pull DP wrote this status (by its clock); an older status never replaces a newer one.
    public var updatedAt: Date
    public init(jobID: UUID, distributionPoint: String, contentName: String, versionID: String, state: PullState, bytesDone: Int64,
                bytesTotal: Int64, source: String?, detail: String?, nextAttemptAt: Date?, updatedAt: Date) {
        self.jobID = jobID
        self.distributionPoint = distributionPoint
        self.contentName = contentName
        self.versionID = versionID
        self.state = state
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.source = source
        self.detail = detail
        self.nextAttemptAt = nextAttemptAt
        self.updatedAt = updatedAt
    }
}

/// PTM to a pull DP: one of your sources holds this version; pull it (SPEC T5).
///
/// The PTM copies nothing to a pull DP. The pull DP keeps the job (a second notification
/// of the same job changes nothing) and downloads in the background.
public struct PullNotification: Message {
    public static let wireName = "pull.notify"
    public static let summary = "PTM to pull DP: a source holds this version; download it from your ranked sources (command, acked)."
    public static let example = PullNotification(jobID: TransferJob.example.jobID, contentName: "office",
                                                 versionID: String(repeating: "ab", count: 32), version: 1, totalBytes: 209_715_200,
                                                 redistribute: false, sources: [.example])
    public var jobID: UUID
    public var contentName: String
    public var versionID: String
    public var version: Int
    public var totalBytes: Int64
    /// Copy every chunk again from the source, even those the pull DP holds (SPEC C5).
    public var redistribute: Bool
    public var sources: [PullSourceAddress]
    /// The version of the content this pull DP has installed, when the content uses binary
    /// differential replication (SPEC C3): it asks its source for deltas against it.
    public var differentialBase: String?
    public init(jobID: UUID, contentName: String, versionID: String, version: Int, totalBytes: Int64, redistribute: Bool,
                sources: [PullSourceAddress], differentialBase: String? = nil) {
        self.differentialBase = differentialBase
        self.jobID = jobID
        self.contentName = contentName
        self.versionID = versionID
        self.version = version
        self.totalBytes = totalBytes
        self.redistribute = redistribute
        self.sources = sources
    }
}

/// PTM to a pull DP: where does this job stand? (the 60-minute question of SPEC T5).
public struct PullStatusQuery: Message {
    public static let wireName = "pull.status.query"
    public static let summary = "PTM to pull DP: the status of one pull job; replies pull.status.reply."
    public static let example = PullStatusQuery(jobID: TransferJob.example.jobID)
    public var jobID: UUID
    public init(jobID: UUID) { self.jobID = jobID }
}

/// A pull DP's answer to ``PullStatusQuery``.
public struct PullStatusReply: Message {
    public static let wireName = "pull.status.reply"
    public static let summary = "The pull job's status (state unknown when the pull DP has no such job)."
    public static let example = PullStatusReply(status: .example)
    public var status: PullJobStatus
    public init(status: PullJobStatus) { self.status = status }
}

/// A pull DP's status, to its management point, which relays it to the site (SPEC P3).
public struct PullStatusReport: Message {
    public static let wireName = "pull.status"
    public static let summary = "Pull DP to MP, MP to distribution manager: where a pull job stands (command, acked)."
    public static let example = PullStatusReport(status: .example)
    public var status: PullJobStatus
    public init(status: PullJobStatus) { self.status = status }
}

/// The site to the PTM: the pull DP was heard from about this job, so its status wait
/// starts again; a final state ends the PTM's job (no report: the site has it).
public struct PullStatusNotice: Message {
    public static let wireName = "pull.notice"
    public static let summary = "Distribution manager to PTM: a pull DP's status reached the site (command, acked)."
    public static let example = PullStatusNotice(jobID: TransferJob.example.jobID, state: .downloading,
                                                 updatedAt: Date(timeIntervalSince1970: 1_800_000_000))
    public var jobID: UUID
    public var state: PullState
    public var updatedAt: Date
    public init(jobID: UUID, state: PullState, updatedAt: Date) {
        self.jobID = jobID
        self.state = state
        self.updatedAt = updatedAt
    }
}

/// PTM to a DP: is this version installed (verified complete) here?
public struct VersionHeldQuery: Message {
    public static let wireName = "dp.holds"
    public static let summary = "PTM to DP: whether a version is installed there; replies dp.holds.reply."
    public static let example = VersionHeldQuery(versionID: String(repeating: "ab", count: 32))
    public var versionID: String
    public init(versionID: String) { self.versionID = versionID }
}

/// Whether a DP holds a version.
public struct VersionHeldReply: Message {
    public static let wireName = "dp.holds.reply"
    public static let summary = "True when the version is installed on the DP."
    public static let example = VersionHeldReply(versionID: String(repeating: "ab", count: 32), installed: true)
    public var versionID: String
    public var installed: Bool
    public init(versionID: String, installed: Bool) {
        self.versionID = versionID
        self.installed = installed
    }
}

/// A pull DP to its management point: a token to read one version from its sources.
///
/// The MP signs it for the DP the request authenticated as, for that DP's sources only
/// (as the site describes them), scope `pull`; a source counts the pull DP as a client (SPEC P6).
public struct PullTokenRequest: Message {
    public static let wireName = "pull.token"
    public static let summary = "Pull DP to MP: a token valid at its sources for one version; replies pull.token.reply."
    public static let example = PullTokenRequest(versionID: String(repeating: "ab", count: 32))
    public var versionID: String
    public init(versionID: String) { self.versionID = versionID }
}

/// A pull token and where it is valid.
public struct PullTokenReply: Message {
    public static let wireName = "pull.token.reply"
    public static let summary = "A token of scope pull, valid at the named sources until expiresAt."
    public static let example = PullTokenReply(token: "token", audience: ["dp1"], expiresAt: Date(timeIntervalSince1970: 1_800_000_000))
    public var token: String
    public var audience: [String]
    public var expiresAt: Date
    public init(token: String, audience: [String], expiresAt: Date) {
        self.token = token
        self.audience = audience
        self.expiresAt = expiresAt
    }
}
