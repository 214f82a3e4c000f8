public import Foundation
public import ServiceKit

/// The management point's configuration file.
public struct ManagementPointSettings: Codable, Sendable {
    /// The site's signing key, for the download tokens handed to clients.
    public var siteSigningKeyFile: String?
    /// How long a download token stays valid (default 15 minutes: enough to start a
    /// download, which then resumes with a fresh location answer).
    public var downloadTokenLifetimeSeconds: Double?
    /// Where agent status is relayed to.
    public var distributionManager: PeerSettings?
}
