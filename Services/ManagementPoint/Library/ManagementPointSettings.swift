public import Foundation
public import ServiceKit

/// The management point's configuration file.
public struct ManagementPointSettings: Codable, Sendable, Equatable {
    /// The site's signing key, for the download tokens handed to clients.
    public var siteSigningKeyFile: String?
    /// How long a download token stays valid (default 15 minutes: enough to start a
    /// download, which then resumes with a fresh location answer).
    public var downloadTokenLifetimeSeconds: Double?
    /// Where agent status is relayed to.
    public var distributionManager: PeerSettings?
    /// How far a site snapshot's sequence may run ahead of the one held (default 1,000,000:
    /// the site adds one per change). A larger jump is refused: a forged 2⁶³−1 would make
    /// every real snapshot after it look old.
    public var maximumSnapshotSequenceJump: Int64?

    public init(siteSigningKeyFile: String? = nil, downloadTokenLifetimeSeconds: Double? = nil,
                distributionManager: PeerSettings? = nil, maximumSnapshotSequenceJump: Int64? = nil) {
        self.siteSigningKeyFile = siteSigningKeyFile
        self.downloadTokenLifetimeSeconds = downloadTokenLifetimeSeconds
        self.distributionManager = distributionManager
        self.maximumSnapshotSequenceJump = maximumSnapshotSequenceJump
    }
}

extension ManagementPointSettings: ValidatableSettings {
    /// The signing key (when tokens are issued) is readable; the site's endpoint is well
    /// formed; the token lifetime and the snapshot jump are positive.
    public func validate(in file: URL) throws {
        let check = SettingsValidator(file: file)
        if let siteSigningKeyFile { try check.readableFile(siteSigningKeyFile, "siteSigningKeyFile") }
        try distributionManager?.validate(with: check, "distributionManager")
        if let downloadTokenLifetimeSeconds {
            try check.number(downloadTokenLifetimeSeconds, in: 1...(7 * 24 * 3600), "downloadTokenLifetimeSeconds", unit: " seconds")
        }
        if let maximumSnapshotSequenceJump, maximumSnapshotSequenceJump < 1 {
            throw check.failure("maximumSnapshotSequenceJump", "must be at least 1, got \(maximumSnapshotSequenceJump)")
        }
    }
}
