public import Foundation
public import ServiceKit

/// The package transfer manager's configuration file.
public struct PackageTransferManagerSettings: Codable, Sendable {
    public var distributionManager: PeerSettings
    /// Jobs carried out at once (SPEC T4: contents at once, default 3).
    public var maximumConcurrentJobs: Int?
    /// Chunk pushes at once within one job (SPEC T4: transfers per content, default 5).
    public var transfersPerJob: Int?
    public var retry: RetrySettings?
    /// How long to wait for a DP to answer a bus query before the attempt counts as failed
    /// (default 60 s, for slow WAN links; the local cluster uses a few seconds).
    public var distributionPointTimeoutSeconds: Double?
}

/// How failed transfers are retried (SPEC T4: 100 times, 30 minutes apart).
///
/// The first retry waits `initialDelaySeconds`, each next one twice as long, up to
/// `delaySeconds` (the seed's 30 minutes).
public struct RetrySettings: Codable, Sendable {
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
