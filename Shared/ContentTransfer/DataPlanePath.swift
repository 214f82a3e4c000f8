import Foundation

/// One URL path of the data plane (HTTP), spelled once for the servers that route it and
/// the clients that ask it.
///
/// ``pattern`` is the Hummingbird route pattern (`:version`, `:hash`, `**` for a file path);
/// ``path(version:hash:)`` fills it in for a request. Servers read the filled-in values with
/// the names in ``Parameter``. The paths are part of the wire format: changing one breaks
/// every DP, agent and PTM of another build.
public struct DataPlanePath: Sendable, Hashable, CustomStringConvertible {
    /// The names of the values in a pattern, as route handlers read them.
    public enum Parameter {
        public static let version = "version"
        public static let hash = "hash"
    }

    /// The route pattern, e.g. `/content/:version/chunks/:hash`.
    public let pattern: String

    init(_ pattern: String) { self.pattern = pattern }

    public var description: String { pattern }

    /// The path for one request: `:version` and `:hash` replaced by the given values.
    ///
    /// The values must be hashes (`ContentHash.isValid`): they are put in as they are, not
    /// percent-encoded. A pattern value left nil stays as it is, which no server answers.
    public func path(version: String? = nil, hash: String? = nil) -> String {
        var path = pattern
        if let version { path = path.replacingOccurrences(of: ":" + Parameter.version, with: version) }
        if let hash { path = path.replacingOccurrences(of: ":" + Parameter.hash, with: hash) }
        return path
    }

    /// The pattern with `{version}`, `{hash}` and `{path}` placeholders, for tools that make requests up.
    public var template: String {
        pattern.replacingOccurrences(of: ":" + Parameter.version, with: "{version}")
            .replacingOccurrences(of: ":" + Parameter.hash, with: "{hash}")
            .replacingOccurrences(of: "**", with: "{path}")
    }

    // MARK: The site content library (read by the PTM with a transfer token)

    /// A version's manifest in the site library.
    public static let libraryManifest = DataPlanePath("/library/manifests/:version")
    /// A chunk of the site library, by hash.
    public static let libraryChunk = DataPlanePath("/library/chunks/:hash")
    /// Many chunks of the site library at once (POST their hashes; ``ChunkBatch`` frames back).
    public static let libraryChunkBatch = DataPlanePath("/library/chunk-batch")

    // MARK: A DP's store by hash (PUT: the PTM's pushes; GET/HEAD: site-internal reads)

    /// A manifest in a DP's store.
    public static let storedManifest = DataPlanePath("/manifests/:version")
    /// A chunk in a DP's store.
    public static let storedChunk = DataPlanePath("/chunks/:hash")
    /// Many chunks pushed at once (POST ``ChunkBatch`` frames).
    public static let storedChunkBatch = DataPlanePath("/chunk-batch")
    /// Many chunks pushed at once as deltas against chunks the DP holds (POST `DeltaBatch`
    /// frames, SPEC C3).
    public static let storedDeltaBatch = DataPlanePath("/delta-batch")

    /// A prestaged content file uploaded to a DP (POST the file, SPEC C9; a transfer token for the DP and the file's version).
    public static let storedPrestaged = DataPlanePath("/prestaged")
    /// A prestaged content file uploaded into the site library of a rebuilt site (POST the file; a restore token).
    public static let libraryRestore = DataPlanePath("/library/restore")

    // MARK: One version, for clients (DPs and agents' peer caches, with a download token)

    /// A version's manifest.
    public static let versionManifest = DataPlanePath("/content/:version/manifest")
    /// A chunk of a version (only chunks the version names are served).
    public static let versionChunk = DataPlanePath("/content/:version/chunks/:hash")
    /// A file of a version, by its path in the manifest (DPs only).
    public static let versionFile = DataPlanePath("/content/:version/files/**")
    /// Chunks of a version as deltas against another version the asker holds (POST: the base
    /// version id on the first line, then chunk hashes; the answer is `DeltaBatch` frames for
    /// those a delta pays for, SPEC C3). DPs only.
    public static let versionDeltaBatch = DataPlanePath("/content/:version/delta-batch")
    /// Which chunks of a version a peer cache holds: one "1" or "0" per unique chunk, in manifest order.
    public static let versionHeldChunks = DataPlanePath("/content/:version/have")

    /// Every data-plane path.
    public static let all: [DataPlanePath] = [
        storedChunk, storedChunkBatch, storedDeltaBatch, storedManifest, versionManifest, versionChunk, versionFile, versionDeltaBatch, versionHeldChunks, libraryChunk, libraryChunkBatch, libraryManifest,
        storedPrestaged, libraryRestore,
    ]
}
