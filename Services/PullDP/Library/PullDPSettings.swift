public import Foundation

/// The DP service's configuration file (standard mode; pull sources come later).
public struct PullDPSettings: Codable, Sendable {
    /// The site's public signing key (base64), to check push and download tokens.
    public var sitePublicKeyFile: String
    /// The largest chunk a push may carry; larger bodies are refused with 413.
    public var maximumChunkSize: Int?
}
