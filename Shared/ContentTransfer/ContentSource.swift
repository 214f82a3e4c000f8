public import ContentStore
public import Foundation

/// Somewhere a version's manifest and chunks can be fetched from: the site library, a DP or
/// a peer's cache.
///
/// A source answers with bytes as it has them; it does not check them. The fetchers
/// (``ManifestFetcher``, ``ChunkFetcher``) check every manifest and chunk against its hash
/// before anything is kept.
public protocol ContentSource: Sendable {
    /// Which source this is, for logs and byte counts.
    var id: ContentSourceID { get }

    /// The version's manifest as stored there; nil when the source does not hold it.
    /// Throws ``ContentTransferError`` when it cannot say (refusal, server error, transport).
    func manifestData(of versionID: String) async throws -> Data?

    /// One chunk of the version; nil when the source does not hold it.
    /// Throws ``ContentTransferError`` when it cannot say.
    func chunkData(_ hash: String, of versionID: String) async throws -> Data?

    /// Which of `chunks` (the version's unique chunks, in manifest order) the source holds;
    /// nil when it cannot say, and then every chunk is asked for.
    func heldChunks(of versionID: String, among chunks: [ChunkReference]) async -> Set<String>?
}
