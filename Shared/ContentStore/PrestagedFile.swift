import Foundation

/// A prestaged content file (SPEC C9): one version's manifest and every chunk it names, in
/// one file that checks itself, to carry content to a DP without the network or to restore a
/// rebuilt site's library.
///
/// Layout: the magic line `FERRY-PRESTAGED-1\n`; a 4-byte big-endian length and the
/// ``PrestagedHeader`` as JSON; the manifest's exact bytes; the unique chunks in manifest
/// order, each exactly its manifest size; then `FERRY-END <hex>\n`, where hex is the SHA-256
/// of the header and manifest bytes. Chunks need no seal of their own: the manifest names
/// each by its hash, and the manifest is named by the version id the header carries.
public enum PrestagedFile {
    public static let magic = Array("FERRY-PRESTAGED-1\n".utf8)
    public static let trailerPrefix = Array("FERRY-END ".utf8)
    /// Prefix, 64 hex characters, newline.
    public static let trailerLength = trailerPrefix.count + 64 + 1
    /// A header larger than this is not a header.
    public static let maximumHeaderLength = 64 * 1024
    /// The suffix administrators see on exported files.
    public static let fileExtension = "ferrypkg"

    static func seal(header: some Collection<UInt8>, manifest: some Collection<UInt8>) -> String {
        var bytes = [UInt8](header)
        bytes.append(contentsOf: manifest)
        return ContentHash.sha256Hex(Data(bytes))
    }
}

/// What a prestaged file says about the version it carries.
public struct PrestagedHeader: Codable, Sendable, Equatable {
    public var format: Int
    public var content: String
    /// The content's type and priority as the exporting site had them (raw values).
    public var type: String
    public var priority: String
    /// The version's number at the exporting site, and its place in the version chain.
    public var version: Int
    public var chainPosition: Int?
    public var versionID: String
    public var manifestSize: Int
    public var chunkCount: Int
    public var chunkBytes: Int64
    /// The site or DP it was exported from.
    public var exportedFrom: String
    public var exportedAt: Date

    public init(content: String, type: String, priority: String, version: Int, chainPosition: Int?, versionID: String, manifestSize: Int,
                chunkCount: Int, chunkBytes: Int64, exportedFrom: String, exportedAt: Date) {
        format = 1
        self.content = content
        self.type = type
        self.priority = priority
        self.version = version
        self.chainPosition = chainPosition
        self.versionID = versionID
        self.manifestSize = manifestSize
        self.chunkCount = chunkCount
        self.chunkBytes = chunkBytes
        self.exportedFrom = exportedFrom
        self.exportedAt = exportedAt
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// Why a prestaged file was refused; each renders as one line an administrator can act on.
public struct PrestagedFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
