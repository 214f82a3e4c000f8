import Foundation

/// Bytes checked against the hash that names them (a chunk and its hash, a manifest and its
/// version id), so they are hashed once on their way in.
///
/// The only way to make one is ``init(data:hash:)``, which hashes `data`; a store can keep it
/// without hashing again.
public struct VerifiedBytes: Sendable {
    /// The SHA-256 of ``data``, lowercase hex.
    public let hash: String
    public let data: Data

    /// Throws `.invalidHash` when `hash` is not a hash, `.hashMismatch` when `data` does not hash to it.
    public init(data: Data, hash: String) throws {
        try ContentHash.require(data, hashesTo: hash)
        self.hash = hash
        self.data = data
    }
}
