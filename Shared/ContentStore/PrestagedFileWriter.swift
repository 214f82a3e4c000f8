#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes a prestaged file: into a temporary file beside the destination, renamed into place
/// only once the last chunk and the seal are written, so an export cut short leaves nothing
/// under the final name.
public final class PrestagedFileWriter {
    public let destination: URL
    private let temporary: URL
    private let handle: FileHandle
    private var expected: [ChunkReference]
    private var next = 0
    private var seal = ""
    private var finished = false

    /// Starts the file with the header and the manifest; chunks follow with ``append(_:)``.
    public init(destination: URL, header: PrestagedHeader, manifest: VerifiedManifest) throws {
        guard header.versionID == manifest.versionID, header.manifestSize == manifest.data.count,
              header.chunkCount == manifest.manifest.uniqueChunks.count else {
            throw PrestagedFileError("the header does not describe the manifest it is written with")
        }
        self.destination = destination
        temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial-\(FileSystem.uniqueSuffix())")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw PrestagedFileError("cannot create \(temporary.path): \(String(cString: strerror(errno)))")
        }
        handle = try FileHandle(forWritingTo: temporary)
        expected = manifest.manifest.uniqueChunks
        let headerBytes = try PrestagedHeader.encoder.encode(header)
        var start = Data(PrestagedFile.magic)
        var length = UInt32(headerBytes.count).bigEndian
        withUnsafeBytes(of: &length) { start.append(contentsOf: $0) }
        start.append(headerBytes)
        start.append(manifest.data)
        seal = PrestagedFile.seal(header: headerBytes, manifest: manifest.data)
        do {
            try handle.write(contentsOf: start)
        } catch {
            abandon()
            throw error
        }
    }

    /// Appends the next chunk in manifest order; its bytes must hash to the name the manifest gives it.
    public func append(_ data: Data) throws {
        guard next < expected.count else { throw PrestagedFileError("more chunks than the manifest names") }
        let reference = expected[next]
        guard data.count == reference.size else {
            throw PrestagedFileError("chunk \(reference.hash) has \(data.count) bytes; the manifest says \(reference.size)")
        }
        try ContentHash.require(data, hashesTo: reference.hash)
        try handle.write(contentsOf: data)
        next += 1
    }

    /// The chunks still to append.
    public var remaining: [ChunkReference] { Array(expected[next...]) }

    /// Writes the seal, flushes to disk and renames the file into place.
    public func finish() throws {
        guard next == expected.count else { throw PrestagedFileError("\(expected.count - next) chunks were never written") }
        do {
            try handle.write(contentsOf: Data((String(decoding: PrestagedFile.trailerPrefix, as: UTF8.self) + seal + "\n").utf8))
            try handle.synchronize()
            try handle.close()
            guard rename(temporary.path, destination.path) == 0 else {
                throw PrestagedFileError("cannot move the file to \(destination.path): \(String(cString: strerror(errno)))")
            }
            finished = true
        } catch {
            abandon()
            throw error
        }
    }

    /// Removes the temporary file (an export that failed keeps nothing).
    public func abandon() {
        try? handle.close()
        unlink(temporary.path)
    }

    deinit {
        if !finished { abandon() }
    }
}

extension PrestagedFileWriter {
    /// Writes a prestaged file of a version held in `store` (a DP's, or the site library).
    public static func export(_ versionID: String, from store: ChunkStore, to destination: URL,
                              header makeHeader: (VerifiedManifest) -> PrestagedHeader) throws {
        let manifest = try VerifiedManifest(data: try store.manifestData(versionID), versionID: versionID)
        let writer = try PrestagedFileWriter(destination: destination, header: makeHeader(manifest), manifest: manifest)
        for chunk in manifest.manifest.uniqueChunks { try writer.append(try store.read(chunk.hash)) }
        try writer.finish()
    }
}

extension PrestagedHeader {
    /// A header for `manifest`, its counts taken from it.
    public init(content: String, type: String, priority: String, version: Int, chainPosition: Int?, manifest: VerifiedManifest,
                exportedFrom: String, exportedAt: Date) {
        let chunks = manifest.manifest.uniqueChunks
        self.init(content: content, type: type, priority: priority, version: version, chainPosition: chainPosition,
                  versionID: manifest.versionID, manifestSize: manifest.data.count, chunkCount: chunks.count,
                  chunkBytes: chunks.reduce(Int64(0)) { $0 + Int64($1.size) }, exportedFrom: exportedFrom, exportedAt: exportedAt)
    }
}
