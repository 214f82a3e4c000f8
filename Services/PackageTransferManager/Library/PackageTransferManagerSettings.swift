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

    public init(distributionManager: PeerSettings, maximumConcurrentContents: Int? = nil, maximumDistributionPointsPerContent: Int? = nil,
                retry: RetrySettings? = nil, distributionPointTimeoutSeconds: Double? = nil, timeZone: String? = nil) {
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
        if let timeZone, TimeZone(identifier: timeZone) == nil {
            throw check.failure("timeZone", "'\(timeZone)' is not a time zone name such as Europe/Lisbon or UTC")
        }
    }

    /// The zone DP schedules are read in.
    public func siteTimeZone(default system: TimeZone) -> TimeZone {
        timeZone.flatMap(TimeZone.init(identifier:)) ?? system
    }
}
