public import Foundation
public import ServiceKit

/// The package transfer manager's configuration file.
public struct PackageTransferManagerSettings: Codable, Sendable, Equatable {
    public var distributionManager: PeerSettings
    /// Jobs carried out at once (SPEC T4: contents at once, default 3).
    public var maximumConcurrentJobs: Int?
    /// Chunk pushes at once within one job (SPEC T4: transfers per content, default 5).
    public var transfersPerJob: Int?
    public var retry: RetrySettings?
    /// How long to wait for a DP to answer a bus query before the attempt counts as failed
    /// (default 60 s, for slow WAN links; the local cluster uses a few seconds).
    public var distributionPointTimeoutSeconds: Double?

    public init(distributionManager: PeerSettings, maximumConcurrentJobs: Int? = nil, transfersPerJob: Int? = nil,
                retry: RetrySettings? = nil, distributionPointTimeoutSeconds: Double? = nil) {
        self.distributionManager = distributionManager
        self.maximumConcurrentJobs = maximumConcurrentJobs
        self.transfersPerJob = transfersPerJob
        self.retry = retry
        self.distributionPointTimeoutSeconds = distributionPointTimeoutSeconds
    }
}

/// How failed transfers are retried (SPEC T4: 100 times, 30 minutes apart).
///
/// The first retry waits `initialDelaySeconds`, each next one twice as long, up to
/// `delaySeconds` (the seed's 30 minutes).
public struct RetrySettings: Codable, Sendable, Equatable {
    public var maximumAttempts: Int
    public var initialDelaySeconds: Double
    public var delaySeconds: Double

    public static let seedDefaults = RetrySettings(maximumAttempts: 100, initialDelaySeconds: 60, delaySeconds: 1800)

    public init(maximumAttempts: Int, initialDelaySeconds: Double, delaySeconds: Double) {
        self.maximumAttempts = maximumAttempts
        self.initialDelaySeconds = initialDelaySeconds
        self.delaySeconds = delaySeconds
    }

    /// The wait after failed attempt number `attempt` (1-based).
    public func delay(afterAttempt attempt: Int) -> Double {
        min(delaySeconds, initialDelaySeconds * pow(2, Double(max(0, min(attempt - 1, 20)))))
    }
}

extension PackageTransferManagerSettings: ValidatableSettings {
    /// The site's endpoint is well formed; limits, timeouts and retries are in range.
    public func validate(in file: URL) throws {
        let check = SettingsValidator(file: file)
        try distributionManager.validate(with: check, "distributionManager")
        if let maximumConcurrentJobs { try check.number(maximumConcurrentJobs, in: 1...1_000, "maximumConcurrentJobs") }
        if let transfersPerJob { try check.number(transfersPerJob, in: 1...256, "transfersPerJob") }
        if let distributionPointTimeoutSeconds {
            try check.number(distributionPointTimeoutSeconds, in: 0.1...86_400, "distributionPointTimeoutSeconds", unit: " seconds")
        }
        if let retry {
            try check.number(retry.maximumAttempts, in: 1...100_000, "retry.maximumAttempts")
            try check.number(retry.initialDelaySeconds, in: 0...(7 * 86_400), "retry.initialDelaySeconds", unit: " seconds")
            try check.number(retry.delaySeconds, in: 0...(7 * 86_400), "retry.delaySeconds", unit: " seconds")
        }
    }
}
