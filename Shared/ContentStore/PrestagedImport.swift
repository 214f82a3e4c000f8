import Foundation

/// Stores what a prestaged file carries into a chunk store while it is read (SPEC C9), so a
/// file of any size passes through in one read; a file refused part-way keeps nothing.
///
/// The header comes first; the caller approves it (a token, the site's records) before any
/// chunk is stored. Chunks are written as they verify; the manifest only once the file's
/// seal and end are checked. ``rollback(keeping:)`` removes the chunks this import added.
public final class PrestagedImport {
    public enum Step: Equatable {
        /// Give more bytes (or finish when there are none).
        case reading
        /// The header was read: check it, then ``approve()`` and go on.
        case awaitingApproval
    }

    public let store: ChunkStore
    private var reader: PrestagedFileReader
    public private(set) var header: PrestagedHeader?
    public private(set) var manifest: VerifiedManifest?
    private var approved = false
    private var ended = false
    private var added: [String] = []
    /// The manifest was stored by this import (a rollback removes it again).
    private var storedManifest = false
    public private(set) var storedChunks = 0
    public private(set) var presentChunks = 0
    public private(set) var storedBytes: Int64 = 0
    public var bytesRead: Int64 { reader.bytesRead }

    public init(store: ChunkStore, maximumChunkSize: Int = 256 << 20) {
        self.store = store
        reader = PrestagedFileReader(maximumChunkSize: maximumChunkSize)
    }

    /// Reads `bytes` as far as they go.
    @discardableResult
    public func consume(_ bytes: some Sequence<UInt8>) throws -> Step {
        reader.append(bytes)
        while true {
            if header != nil, !approved { return .awaitingApproval }
            guard let event = try reader.next() else { return .reading }
            switch event {
            case .header(let header, let manifest):
                self.header = header
                self.manifest = manifest
            case .chunk(let chunk):
                if try store.write(chunk) {
                    added.append(chunk.hash)
                    storedChunks += 1
                    storedBytes += Int64(chunk.data.count)
                } else {
                    presentChunks += 1
                }
            case .end:
                ended = true
            }
        }
    }

    public func approve() { approved = true }

    /// Checks the file ended complete and stores the manifest; returns it.
    public func finish() throws -> VerifiedManifest {
        try reader.finish()
        guard ended, let manifest else { throw PrestagedFileError("the file is truncated") }
        storedManifest = !store.hasManifest(manifest.versionID)
        try store.storeManifest(manifest)
        return manifest
    }

    /// Removes the chunks this import stored, except those `keeping` claims (another
    /// transfer named them meanwhile). Call when the file was refused.
    public func rollback(keeping: (String) -> Bool = { _ in false }) {
        if storedManifest, let manifest { try? store.removeManifest(manifest.versionID) }
        storedManifest = false
        for hash in added where !keeping(hash) { store.removeChunk(hash) }
        added.removeAll()
    }

    /// Reads a whole file from disk in 1 MiB pieces; `approve` checks the header (throw to refuse).
    public func importFile(_ url: URL, approve check: (PrestagedHeader) throws -> Void,
                           progress: ((Int64) -> Void)? = nil) throws -> VerifiedManifest {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw PrestagedFileError("cannot open \(url.path)")
        }
        defer { try? handle.close() }
        do {
            while true {
                let piece = try handle.read(upToCount: 1 << 20) ?? Data()
                if piece.isEmpty { break }
                if try consume(piece) == .awaitingApproval, let header {
                    try check(header)
                    approve()
                    try consume(EmptyCollection())
                }
                progress?(bytesRead)
            }
            return try finish()
        } catch {
            rollback()
            throw error
        }
    }
}
