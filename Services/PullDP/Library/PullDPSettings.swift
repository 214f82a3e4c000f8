public import Foundation
public import ServiceKit

/// The DP service's configuration file. A DP pulls when the site makes it a pull DP
/// (`ferry dp set NAME --pull --source ...`); what it needs for that is here.
public struct PullDPSettings: Codable, Sendable, Equatable {
    /// The site's public signing key (base64), to check push and download tokens.
    public var sitePublicKeyFile: String
    /// The largest chunk a push may carry; larger bodies are refused with 413.
    public var maximumChunkSize: Int?
    /// The management point a pull DP reports its status to and gets its source tokens from
    /// (SPEC P3); without it the DP refuses to pull.
    public var managementPoint: PeerSettings?
    /// How a pull DP downloads.
    public var pull: PullSettings?
    /// The content library's folder (absolute); default `store` in the data folder. A
    /// library move (`ferry dp move-library`) rewrites it (SPEC C11).
    public var libraryFolder: String?
    /// A library move copies at most this many bytes per second (default: as fast as the disks go).
    public var libraryMoveBytesPerSecond: Int?

    public init(sitePublicKeyFile: String, maximumChunkSize: Int? = nil, managementPoint: PeerSettings? = nil, pull: PullSettings? = nil,
                libraryFolder: String? = nil, libraryMoveBytesPerSecond: Int? = nil) {
        self.libraryFolder = libraryFolder
        self.libraryMoveBytesPerSecond = libraryMoveBytesPerSecond
        self.sitePublicKeyFile = sitePublicKeyFile
        self.maximumChunkSize = maximumChunkSize
        self.managementPoint = managementPoint
        self.pull = pull
    }
}

/// How a pull DP downloads from its sources (SPEC P2, P3).
public struct PullSettings: Codable, Sendable, Equatable {
    /// The wait when no source has the content, before trying them all again (seed: 1800 s).
    public var sourceRetrySeconds: Double?
    /// Chunk requests kept in flight to a source (default 4).
    public var parallelDownloads: Int?

    public init(sourceRetrySeconds: Double? = nil, parallelDownloads: Int? = nil) {
        self.sourceRetrySeconds = sourceRetrySeconds
        self.parallelDownloads = parallelDownloads
    }

    public static let seedSourceRetrySeconds: Double = 1800
}

extension PullDPSettings {
    /// The library folder this configuration names: `libraryFolder`, else `store` in the data folder.
    public func libraryURL(dataURL: URL) -> URL {
        libraryFolder.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? dataURL.appendingPathComponent("store", isDirectory: true)
    }
}

extension PullDPSettings: ValidatableSettings {
    /// The site's public key file exists and is readable; the chunk size limit is 1 byte to
    /// 256 MiB; the MP's endpoint is well formed; the pull wait and parallelism are in range.
    public func validate(in file: URL) throws {
        let check = SettingsValidator(file: file)
        try check.readableFile(sitePublicKeyFile, "sitePublicKeyFile")
        if let maximumChunkSize {
            try check.number(maximumChunkSize, in: 1...(256 * 1024 * 1024), "maximumChunkSize", unit: " bytes")
        }
        try managementPoint?.validate(with: check, "managementPoint")
        if let seconds = pull?.sourceRetrySeconds { try check.number(seconds, in: 0.1...(7 * 86_400), "pull.sourceRetrySeconds", unit: " seconds") }
        if let parallel = pull?.parallelDownloads { try check.number(parallel, in: 1...32, "pull.parallelDownloads") }
        if let libraryFolder, !libraryFolder.hasPrefix("/") {
            throw check.failure("libraryFolder", "'\(libraryFolder)' is not an absolute path")
        }
        if let rate = libraryMoveBytesPerSecond { try check.number(rate, in: 1...(1 << 40), "libraryMoveBytesPerSecond", unit: " bytes per second") }
    }
}
