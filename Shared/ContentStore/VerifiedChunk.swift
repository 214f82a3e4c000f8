import Foundation

/// A chunk's bytes checked against its hash, so they are hashed once on their way in.
///
/// The only way to make one is ``init(data:hash:)``, which hashes `data`; a store can keep it
/// without hashing again.
public struct VerifiedChunk: Sendable {
    /// The chunk's SHA-256, lowercase hex.
    public let hash: String
    public let data: Data

    /// Throws `.invalidHash` when `hash` is not a chunk hash, `.hashMismatch` when `data` is not its chunk.
    public init(data: Data, hash: String) throws {
        try ContentHash.require(hash)
        let actual = ContentHash.sha256Hex(data)
        guard actual == hash else { throw ContentStoreError.hashMismatch(expected: hash, actual: actual) }
        self.hash = hash
        self.data = data
    }
}
