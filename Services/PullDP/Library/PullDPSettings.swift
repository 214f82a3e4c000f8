public import Foundation
public import ServiceKit

/// The DP service's configuration file (standard mode; pull sources come later).
public struct PullDPSettings: Codable, Sendable, Equatable {
    /// The site's public signing key (base64), to check push and download tokens.
    public var sitePublicKeyFile: String
    /// The largest chunk a push may carry; larger bodies are refused with 413.
    public var maximumChunkSize: Int?

    public init(sitePublicKeyFile: String, maximumChunkSize: Int? = nil) {
        self.sitePublicKeyFile = sitePublicKeyFile
        self.maximumChunkSize = maximumChunkSize
    }
}

extension PullDPSettings: ValidatableSettings {
    /// The site's public key file exists and is readable; the chunk size limit is 1 byte to 256 MiB.
    public func validate(in file: URL) throws {
        let check = SettingsValidator(file: file)
        try check.readableFile(sitePublicKeyFile, "sitePublicKeyFile")
        if let maximumChunkSize {
            try check.number(maximumChunkSize, in: 1...(256 * 1024 * 1024), "maximumChunkSize", unit: " bytes")
        }
    }
}
