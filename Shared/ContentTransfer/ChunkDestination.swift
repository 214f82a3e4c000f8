public import ContentStore

/// Where fetched chunks go once their hash has been checked: a local store, or a push onward
/// (the PTM's to a DP).
public protocol ChunkDestination: Sendable {
    /// Whether the chunk is there already, so it is not fetched again (resume).
    func holds(_ hash: String) -> Bool
    /// Takes a chunk the fetcher has verified. Throws when it cannot be kept there.
    func accept(_ chunk: VerifiedBytes) async throws
}

extension ChunkStore: ChunkDestination {
    public func holds(_ hash: String) -> Bool { contains(hash) }

    public func accept(_ chunk: VerifiedBytes) async throws { try write(chunk) }
}
