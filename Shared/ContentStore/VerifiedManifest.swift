import Foundation

/// A manifest's exact bytes with the version id they hash to, decoded and validated once.
///
/// The only way to make one is ``init(data:versionID:)``, which checks the hash and the
/// manifest rules, so a holder can store, push or read it without decoding it again.
public struct VerifiedManifest: Sendable {
    /// The bytes as served and stored (never re-encoded: re-encoding could change the id).
    public let bytes: VerifiedBytes
    /// The decoded manifest.
    public let manifest: Manifest

    /// Checks that `data` hashes to `versionID` and decodes it (`Manifest.decode`).
    ///
    /// Throws `.invalidHash`, `.hashMismatch`, `.malformedManifest` or `.unsafePath`.
    public init(data: Data, versionID: String) throws {
        bytes = try VerifiedBytes(data: data, hash: versionID)
        manifest = try Manifest.decode(data)
    }

    /// The version id: the SHA-256 of ``data``.
    public var versionID: String { bytes.hash }
    public var data: Data { bytes.data }
}
