import Foundation

/// What a DP enabled for prestaged content is sent of a content over the network (SPEC C9,
/// the seed's three options). DPs not enabled ignore it.
public enum PrestageMode: String, Codable, Sendable, CaseIterable {
    /// Download automatically: sent like to any DP.
    case automatic
    /// Send only changes: the first version is prestaged by hand, later ones are sent.
    case changesOnly = "changes-only"
    /// Copy manually: never sent over the network.
    case manual
}

/// Asks where and with what token the CLI reads a version to export it (SPEC C9).
public struct ExportContent: Message {
    public static let wireName = "content.export"
    public static let summary = "Where to read a content version for a prestaged file (the site library or a DP holding it); replies content.export.ticket."
    public static let example = ExportContent(name: "office", version: 3, fromDistributionPoint: "dp1")
    public var name: String
    /// A version number; nil: the current version.
    public var version: Int?
    /// Read from this DP, which must hold the version; nil: the site library.
    public var fromDistributionPoint: String?
    public init(name: String, version: Int? = nil, fromDistributionPoint: String? = nil) {
        self.name = name
        self.version = version
        self.fromDistributionPoint = fromDistributionPoint
    }
}

/// Where to read a version for export, with a short-lived token for it.
public struct ContentExportTicket: Message {
    public static let wireName = "content.export.ticket"
    public static let summary = "The version to export, the URL of the library or DP to read it from and a token for it."
    public static let example = ContentExportTicket(content: ContentSummary.example, version: VersionSummary.example, sourceName: "site",
                                                    sourceURL: "http://10.0.0.1:8080", fromDistributionPoint: false, token: "token")
    public var content: ContentSummary
    public var version: VersionSummary
    /// The site's node or the DP's name, recorded in the file.
    public var sourceName: String
    public var sourceURL: String
    /// True: `sourceURL` is a DP (`/content/V/...`); false: the site library (`/library/...`).
    public var fromDistributionPoint: Bool
    public var token: String
    public init(content: ContentSummary, version: VersionSummary, sourceName: String, sourceURL: String, fromDistributionPoint: Bool, token: String) {
        self.content = content
        self.version = version
        self.sourceName = sourceName
        self.sourceURL = sourceURL
        self.fromDistributionPoint = fromDistributionPoint
        self.token = token
    }
}

/// Asks for a token to upload a prestaged file to a DP (`ferry dp import`).
public struct PrestagedImportTicketRequest: Message {
    public static let wireName = "dp.import.ticket"
    public static let summary = "A token and URL to upload a prestaged file of a version the site knows to a DP; replies dp.import.ticket.reply."
    public static let example = PrestagedImportTicketRequest(distributionPoint: "dp1", versionID: String(repeating: "ab", count: 32))
    public var distributionPoint: String
    public var versionID: String
    public init(distributionPoint: String, versionID: String) {
        self.distributionPoint = distributionPoint
        self.versionID = versionID
    }
}

/// Where to upload a prestaged file and the token the receiver checks.
public struct UploadTicket: Message {
    public static let wireName = "upload.ticket"
    public static let summary = "A URL to upload a prestaged file to and the token it takes."
    public static let example = UploadTicket(url: "http://10.0.0.2:8081/prestaged", token: "token")
    public var url: String
    public var token: String
    public init(url: String, token: String) {
        self.url = url
        self.token = token
    }
}

/// Tells the site a DP now holds a version imported from a prestaged file; the site asks
/// the DP before it records anything.
public struct RecordPrestagedImport: Message {
    public static let wireName = "dp.import.record"
    public static let summary = "After 'ferry dp import': the site asks the DP whether it holds the version and records it; replies dp.import.recorded."
    public static let example = RecordPrestagedImport(distributionPoint: "dp1", versionID: String(repeating: "ab", count: 32))
    public var distributionPoint: String
    public var versionID: String
    public init(distributionPoint: String, versionID: String) {
        self.distributionPoint = distributionPoint
        self.versionID = versionID
    }
}

/// What the site recorded for an imported prestaged file.
public struct PrestagedImportRecorded: Message {
    public static let wireName = "dp.import.recorded"
    public static let summary = "Whether the DP holds the imported version and what the site recorded."
    public static let example = PrestagedImportRecorded(distributionPoint: "dp1", content: "office", version: 3, installed: true,
                                                        detail: "installed from a prestaged file")
    public var distributionPoint: String
    public var content: String
    public var version: Int
    public var installed: Bool
    public var detail: String
    public init(distributionPoint: String, content: String, version: Int, installed: Bool, detail: String) {
        self.distributionPoint = distributionPoint
        self.content = content
        self.version = version
        self.installed = installed
        self.detail = detail
    }
}

/// Asks for a token to restore a version into the site library from a prestaged file.
public struct LibraryRestoreTicketRequest: Message {
    public static let wireName = "library.restore.ticket"
    public static let summary = "A token and URL to upload a prestaged file into the site library (a rebuilt site); replies upload.ticket."
    public static let example = LibraryRestoreTicketRequest(versionID: String(repeating: "ab", count: 32))
    public var versionID: String
    public init(versionID: String) { self.versionID = versionID }
}
