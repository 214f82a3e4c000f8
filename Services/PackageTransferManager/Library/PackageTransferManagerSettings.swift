public import Foundation
public import ServiceKit

/// The package transfer manager's configuration file.
public struct PackageTransferManagerSettings: Codable, Sendable, Equatable {
    public var distributionManager: PeerSettings
    /// Contents in transfer at once (SPEC T4; default 3).
    public var maximumConcurrentContents: Int?
    /// DPs one content is sent to at once (SPEC T4; default 5).
    public var maximumDistributionPointsPerContent: Int?
    public var retry: RetrySettings?
    /// How long to wait for a DP to answer a bus query before the attempt counts as failed
    /// (default 60 s, for slow WAN links; the local cluster uses a few seconds).
    public var distributionPointTimeoutSeconds: Double?
    /// The sending site's time zone, which DP schedules are read in (SPEC T3), as an IANA
    /// name (`Europe/Lisbon`); default the system's.
    public var timeZone: String?
    /// The cycle for pull DPs (SPEC T5).
    public var pull: PullCycleSettings?
    /// How often the PTM asks a DP waiting for prestaged content whether it holds the
    /// version yet (SPEC C9; default 1200 s, the pull cycle's source check).
    public var prestagedCheckSeconds: Double?

    public init(distributionManager: PeerSettings, maximumConcurrentContents: Int? = nil, maximumDistributionPointsPerContent: Int? = nil,
                retry: RetrySettings? = nil, distributionPointTimeoutSeconds: Double? = nil, timeZone: String? = nil,
                pull: PullCycleSettings? = nil, prestagedCheckSeconds: Double? = nil) {
        self.prestagedCheckSeconds = prestagedCheckSeconds
        self.pull = pull
        self.distributionManager = distributionManager
        self.maximumConcurrentContents = maximumConcurrentContents
        self.maximumDistributionPointsPerContent = maximumDistributionPointsPerContent
        self.retry = retry
        self.distributionPointTimeoutSeconds = distributionPointTimeoutSeconds
        self.timeZone = timeZone
    }
}

/// How failed transfers are retried (SPEC T4: 100 times, 30 minutes apart).
public struct RetrySettings: Codable, Sendable, Equatable {
    /// Attempts in all, the first included.
    public var maximumAttempts: Int
    /// The wait between one failed attempt and the next.
    public var delaySeconds: Double

    public static let seedDefaults = RetrySettings(maximumAttempts: 100, delaySeconds: 1800)

    public init(maximumAttempts: Int, delaySeconds: Double) {
        self.maximumAttempts = maximumAttempts
        self.delaySeconds = delaySeconds
    }
}

/// How often the PTM looks at a pull DP's job (SPEC T5), in seconds; nil: the seed's value.
public struct PullCycleSettings: Codable, Sendable, Equatable {
    /// Between checks that a source holds the version (seed: 1200, 20 minutes).
    public var sourceCheckSeconds: Double?
    /// Without a status from the pull DP, before the PTM asks it (seed: 3600).
    public var statusWaitSeconds: Double?
    /// Between questions while the pull DP is still pulling (seed: 3600).
    public var statusPollSeconds: Double?

    public init(sourceCheckSeconds: Double? = nil, statusWaitSeconds: Double? = nil, statusPollSeconds: Double? = nil) {
        self.sourceCheckSeconds = sourceCheckSeconds
        self.statusWaitSeconds = statusWaitSeconds
        self.statusPollSeconds = statusPollSeconds
    }
}

extension PackageTransferManagerSettings: ValidatableSettings {
    /// The site's endpoint is well formed; limits, timeouts, retries and the time zone are valid.
    public func validate(in file: URL) throws {
        let check = SettingsValidator(file: file)
        try distributionManager.validate(with: check, "distributionManager")
        if let maximumConcurrentContents { try check.number(maximumConcurrentContents, in: 1...1_000, "maximumConcurrentContents") }
        if let maximumDistributionPointsPerContent {
            try check.number(maximumDistributionPointsPerContent, in: 1...10_000, "maximumDistributionPointsPerContent")
        }
        if let distributionPointTimeoutSeconds {
            try check.number(distributionPointTimeoutSeconds, in: 0.1...86_400, "distributionPointTimeoutSeconds", unit: " seconds")
        }
        if let retry {
            try check.number(retry.maximumAttempts, in: 1...100_000, "retry.maximumAttempts")
            try check.number(retry.delaySeconds, in: 0...(7 * 86_400), "retry.delaySeconds", unit: " seconds")
        }
        if let pull {
            for (value, name) in [(pull.sourceCheckSeconds, "pull.sourceCheckSeconds"), (pull.statusWaitSeconds, "pull.statusWaitSeconds"),
                                  (pull.statusPollSeconds, "pull.statusPollSeconds")] {
                if let value { try check.number(value, in: 0.1...(7 * 86_400), name, unit: " seconds") }
            }
        }
        if let prestagedCheckSeconds { try check.number(prestagedCheckSeconds, in: 0.1...(7 * 86_400), "prestagedCheckSeconds", unit: " seconds") }
        if let timeZone, TimeZone(identifier: timeZone) == nil {
            throw check.failure("timeZone", "'\(timeZone)' is not a time zone name such as Europe/Lisbon or UTC")
        }
    }

    /// The pull cycle, the seed's values where not set.
    var pullCycle: PullJobCycle {
        let seed = PullJobCycle.seedDefaults
        return PullJobCycle(sourceCheck: pull?.sourceCheckSeconds ?? seed.sourceCheck, statusWait: pull?.statusWaitSeconds ?? seed.statusWait,
                            statusPoll: pull?.statusPollSeconds ?? seed.statusPoll)
    }

    /// The zone DP schedules are read in.
    public func siteTimeZone(default system: TimeZone) -> TimeZone {
        timeZone.flatMap(TimeZone.init(identifier:)) ?? system
    }
}
