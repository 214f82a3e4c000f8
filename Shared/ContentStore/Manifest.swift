import Foundation

/// One chunk of a file: its SHA-256 (the chunk's name in the store) and its length in bytes.
public struct ChunkReference: Codable, Sendable, Hashable {
    public var hash: String
    public var size: Int
    public init(hash: String, size: Int) {
        self.hash = hash
        self.size = size
    }
}

/// One file, folder or symbolic link of a content version.
public struct ManifestEntry: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case file, directory, symlink }
    /// Relative, normalised, "/"-separated, NFC (see `PathSafety.normalise`).
    public var path: String
    public var kind: Kind
    /// File size in bytes; 0 for directories and symlinks.
    public var size: Int64
    /// Permission bits (e.g. 0o644, 0o755).
    public var mode: UInt16
    /// The file's chunks in order; empty for directories, symlinks and empty files.
    public var chunks: [ChunkReference]
    /// Symlinks only: the relative target, which stays inside the content root.
    public var linkTarget: String?

    public init(path: String, kind: Kind, size: Int64 = 0, mode: UInt16, chunks: [ChunkReference] = [],
                linkTarget: String? = nil) {
        self.path = path
        self.kind = kind
        self.size = size
        self.mode = mode
        self.chunks = chunks
        self.linkTarget = linkTarget
    }
}

/// The piece of one chunk that serves part of a byte range of a file.
public struct FileSegment: Sendable, Hashable, Codable {
    public var chunkHash: String
    public var offsetInChunk: Int
    public var length: Int
    public init(chunkHash: String, offsetInChunk: Int, length: Int) {
        self.chunkHash = chunkHash
        self.offsetInChunk = offsetInChunk
        self.length = length
    }
}

/// The list of a content version's files, folders and links with their chunks.
/// Its version id is the SHA-256 of its canonical JSON bytes.
public struct Manifest: Codable, Sendable, Equatable {
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    /// Sorted by path (UTF-8 byte order).
    public var entries: [ManifestEntry]

    /// A version-1 manifest with `entries` sorted by path. Paths are not checked here: `decode` and the
    /// store check them, and `validate()` can be called directly.
    public init(entries: [ManifestEntry]) {
        self.formatVersion = Self.currentFormatVersion
        self.entries = entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    /// Canonical bytes: JSON with sorted keys, unescaped slashes, no whitespace. The version id hashes these.
    public func canonicalData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(self)
        } catch {
            throw ContentStoreError.malformedManifest("cannot encode: \(error)")
        }
    }

    /// The SHA-256 (lowercase hex) of `canonicalData()`.
    public func versionID() throws -> String {
        ContentHash.sha256Hex(try canonicalData())
    }

    /// Sum of file sizes.
    public var totalSize: Int64 {
        entries.reduce(0) { $0 &+ ($1.kind == .file ? $1.size : 0) }
    }

    /// Number of regular files.
    public var fileCount: Int {
        entries.reduce(0) { $0 + ($1.kind == .file ? 1 : 0) }
    }

    /// Every distinct chunk, in first-use order.
    public var uniqueChunks: [ChunkReference] {
        var seen = Set<String>()
        var result: [ChunkReference] = []
        for entry in entries {
            for chunk in entry.chunks where seen.insert(chunk.hash).inserted {
                result.append(chunk)
            }
        }
        return result
    }

    /// Decodes and validates (see `validate()`); throws `.malformedManifest`, or `.unsafePath` for a path or
    /// link that could leave the root.
    public static func decode(_ data: Data) throws -> Manifest {
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch let error as DecodingError {
            throw ContentStoreError.malformedManifest(Self.describe(error))
        } catch {
            throw ContentStoreError.malformedManifest("\(error)")
        }
        try manifest.validate()
        return manifest
    }

    /// Checks every rule: format version 1; every path already normalised (`PathSafety.normalise(p) == p`);
    /// entries sorted with no duplicates; nothing below a file or a symlink; files' chunk hashes valid, chunk
    /// sizes positive and summing to the file size; directories and symlinks without size or chunks;
    /// symlink targets relative and resolving inside the root; mode ≤ 0o7777.
    public func validate() throws {
        try validate(checkingChunks: true)
    }

    /// `validate()`, optionally without the chunk and size checks (for an import that has not chunked yet).
    func validate(checkingChunks: Bool) throws {
        guard formatVersion == Self.currentFormatVersion else {
            throw ContentStoreError.malformedManifest("unsupported format version \(formatVersion) (this build reads \(Self.currentFormatVersion))")
        }
        var kinds: [String: ManifestEntry.Kind] = [:]
        var links: [String: String] = [:]
        var previous: String?
        for entry in entries {
            let path = entry.path
            let quoted = ContentStoreError.quoted(path)
            let normal = try PathSafety.normalise(path)
            guard normal == path else {
                throw ContentStoreError.malformedManifest("path \(quoted) is not normalised (expected \(ContentStoreError.quoted(normal)))")
            }
            guard kinds[path] == nil else { throw ContentStoreError.malformedManifest("path \(quoted) appears twice") }
            if let previous, !previous.utf8.lexicographicallyPrecedes(path.utf8) {
                throw ContentStoreError.malformedManifest("entries are not sorted by path (\(quoted) after \(ContentStoreError.quoted(previous)))")
            }
            previous = path
            kinds[path] = entry.kind
            guard entry.mode <= 0o7777 else {
                throw ContentStoreError.malformedManifest("entry \(quoted) has mode \(entry.mode), which is not a permission mode")
            }
            switch entry.kind {
            case .file:
                guard entry.linkTarget == nil else { throw ContentStoreError.malformedManifest("file \(quoted) has a link target") }
                guard entry.size >= 0 else { throw ContentStoreError.malformedManifest("file \(quoted) has a negative size") }
                guard checkingChunks else { continue }
                var sum: Int64 = 0
                for chunk in entry.chunks {
                    guard ContentHash.isValid(chunk.hash) else {
                        throw ContentStoreError.malformedManifest("file \(quoted) has an invalid chunk hash \(ContentStoreError.quoted(chunk.hash))")
                    }
                    guard chunk.size > 0, chunk.size <= ChunkingParameters.largestMaximumSize else {
                        throw ContentStoreError.malformedManifest("file \(quoted) has a chunk of size \(chunk.size)")
                    }
                    sum += Int64(chunk.size)
                }
                guard sum == entry.size else {
                    throw ContentStoreError.malformedManifest("file \(quoted) has size \(entry.size) but its chunks add up to \(sum)")
                }
            case .directory, .symlink:
                guard entry.size == 0, entry.chunks.isEmpty else {
                    throw ContentStoreError.malformedManifest("\(entry.kind.rawValue) \(quoted) has a size or chunks")
                }
                if entry.kind == .directory {
                    guard entry.linkTarget == nil else { throw ContentStoreError.malformedManifest("directory \(quoted) has a link target") }
                } else {
                    guard let target = entry.linkTarget else {
                        throw ContentStoreError.malformedManifest("symlink \(quoted) has no link target")
                    }
                    links[path] = target
                }
            }
        }
        // Nothing may live below a file or a symlink (writing below a link would write where it points).
        for entry in entries {
            var ancestor = Substring(entry.path)
            while let slash = ancestor.lastIndex(of: "/") {
                ancestor = ancestor[..<slash]
                switch kinds[String(ancestor)] {
                case .file?:
                    throw ContentStoreError.malformedManifest("\(ContentStoreError.quoted(entry.path)) lies below the file \(ContentStoreError.quoted(String(ancestor)))")
                case .symlink?:
                    throw ContentStoreError.unsafePath(entry.path, reason: "it lies below the symbolic link \(ContentStoreError.quoted(String(ancestor)))")
                default:
                    continue
                }
            }
        }
        for (path, target) in links.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            try PathSafety.checkLink(at: path, target: target, links: links)
        }
    }

    /// The chunk pieces that cover `range` (clamped to the file) of `entry`, in order. Empty for an empty
    /// range, a range past the end, or an entry that is not a file.
    public static func segments(of entry: ManifestEntry, covering range: Range<Int64>) -> [FileSegment] {
        guard entry.kind == .file else { return [] }
        let lower = Swift.max(range.lowerBound, 0)
        let upper = Swift.min(range.upperBound, entry.size)
        guard lower < upper else { return [] }
        var segments: [FileSegment] = []
        var chunkStart: Int64 = 0
        for chunk in entry.chunks {
            let chunkEnd = chunkStart + Int64(chunk.size)
            defer { chunkStart = chunkEnd }
            if chunkEnd <= lower { continue }
            if chunkStart >= upper { break }
            let from = Swift.max(lower, chunkStart) - chunkStart
            let to = Swift.min(upper, chunkEnd) - chunkStart
            segments.append(FileSegment(chunkHash: chunk.hash, offsetInChunk: Int(from), length: Int(to - from)))
        }
        return segments
    }

    private static func describe(_ error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "top level" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .dataCorrupted(context): return "not valid JSON at \(at(context.codingPath)): \(context.debugDescription)"
        case let .keyNotFound(key, context): return "missing field \"\(key.stringValue)\" at \(at(context.codingPath))"
        case let .typeMismatch(_, context): return "wrong type at \(at(context.codingPath)): \(context.debugDescription)"
        case let .valueNotFound(_, context): return "missing value at \(at(context.codingPath))"
        @unknown default: return "\(error)"
        }
    }
}
