#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What one import did.
public struct ImportResult: Sendable {
    public var manifest: Manifest
    public var versionID: String
    /// Sum of the file sizes.
    public var totalBytes: Int64
    /// Chunks this import added to the store, and their bytes.
    public var newChunks: Int
    public var newBytes: Int64
    /// Chunk uses that were already in the store (including repeats within this import).
    public var reusedChunks: Int

    public init(manifest: Manifest, versionID: String, totalBytes: Int64, newChunks: Int, newBytes: Int64, reusedChunks: Int) {
        self.manifest = manifest
        self.versionID = versionID
        self.totalBytes = totalBytes
        self.newChunks = newChunks
        self.newBytes = newBytes
        self.reusedChunks = reusedChunks
    }
}

/// Turns a folder into a manifest plus chunks in a `ChunkStore`.
public struct FolderImporter: Sendable {
    public let store: ChunkStore
    public let parameters: ChunkingParameters

    public init(store: ChunkStore, parameters: ChunkingParameters = .standard) {
        self.store = store
        self.parameters = parameters
    }

    /// How many times a file that changes while it is read is read before the import fails.
    public static let readAttempts = 2

    /// How often `progress` is called at most: after each this many bytes, and once at the end.
    public static let progressInterval: Int64 = 4 * 1024 * 1024

    /// Walks the folder (lstat, never following links), chunks every regular file into the store, records every
    /// folder (so empty ones too) and symbolic links whose target stays inside the root, and stores the manifest.
    /// Throws `.notADirectory` for a missing or non-directory root, `.unsafePath` for a link leading out, a name
    /// that is not UTF-8, two names equal after NFC normalisation, or a device, FIFO or socket; and
    /// `ChunkingParametersError` for invalid parameters. Links and names are checked before any chunk is stored.
    /// A file whose size, modification time or status-change time differs after it was read from before
    /// (it changed while it was read) is read once more; if it changes again the import throws
    /// `.sourceChanged` naming it, and no manifest is stored.
    /// `progress` gets the cumulative bytes read (a file read twice counts twice).
    public func importFolder(at folder: URL, progress: (@Sendable (Int64) -> Void)? = nil) throws -> ImportResult {
        let parameters = try self.parameters.validated()
        var rootPath = folder.standardizedFileURL.path
        while rootPath.count > 1 && rootPath.hasSuffix("/") { rootPath.removeLast() }
        guard try FileSystem.status(rootPath).kind == .directory else { throw ContentStoreError.notADirectory(rootPath) }

        // Pass 1: walk and check everything before storing anything.
        var entries: [ManifestEntry] = []
        var diskPaths: [String: String] = [:]          // normalised path → path on disk (files only)
        var seen = Set<String>()
        var pending: [(disk: String, relative: String)] = [(rootPath, "")]
        while let (diskFolder, relativeFolder) = pending.popLast() {
            for name in try FileSystem.directoryEntries(diskFolder) {
                let diskPath = diskFolder == "/" ? "/" + name : diskFolder + "/" + name
                let rawRelative = relativeFolder.isEmpty ? name : relativeFolder + "/" + name
                let relative = try PathSafety.normalise(rawRelative)
                guard seen.insert(relative).inserted else {
                    throw ContentStoreError.unsafePath(rawRelative, reason: "another name in the folder is the same after Unicode normalisation")
                }
                let status = try FileSystem.linkStatus(diskPath)
                let mode = status.permissions & 0o777
                switch status.kind {
                case .directory:
                    entries.append(ManifestEntry(path: relative, kind: .directory, mode: mode))
                    pending.append((diskPath, relative))
                case .file:
                    entries.append(ManifestEntry(path: relative, kind: .file, size: status.size, mode: mode))
                    diskPaths[relative] = diskPath
                case .symlink:
                    let target = try FileSystem.readLink(diskPath).precomposedStringWithCanonicalMapping
                    entries.append(ManifestEntry(path: relative, kind: .symlink, mode: 0o777, linkTarget: target))
                case .missing:
                    throw ContentStoreError.io("\(ContentStoreError.quoted(diskPath)) disappeared during the import")
                case .other:
                    throw ContentStoreError.unsafePath(rawRelative, reason: "it is not a regular file, folder or symbolic link")
                }
            }
        }
        var manifest = Manifest(entries: entries)
        try manifest.validate(checkingChunks: false)   // links leading out, and the other manifest rules

        // Pass 2: chunk the files.
        let chunker = ContentDefinedChunker(parameters: parameters)
        let writer = ParallelChunkWriter(store: store)
        defer { writer.waitForWrites() }   // also when throwing: no write outlives the import
        var reusedChunks = 0
        var bytesRead: Int64 = 0, lastReport: Int64 = 0
        for index in manifest.entries.indices where manifest.entries[index].kind == .file {
            let relative = manifest.entries[index].path
            guard let diskPath = diskPaths[relative] else { continue }
            // A file that changes while it is read would give a version of torn bytes: read it again once,
            // then give up naming it.
            var attempt = 0
            while true {
                attempt += 1
                let read = try readFile(diskPath, chunker: chunker, writer: writer) { count in
                    bytesRead += count
                    if let progress, bytesRead - lastReport >= Self.progressInterval {
                        lastReport = bytesRead
                        progress(bytesRead)
                    }
                }
                reusedChunks += read.reused
                if let chunks = read.chunks {
                    manifest.entries[index].chunks = chunks
                    manifest.entries[index].size = chunks.reduce(0) { $0 + Int64($1.size) }
                    break
                }
                guard attempt < Self.readAttempts else { throw ContentStoreError.sourceChanged(diskPath) }
            }
        }
        let written = try writer.finish()
        if let progress, bytesRead != lastReport || bytesRead == 0 { progress(bytesRead) }

        let versionID = try store.storeManifest(manifest)
        return ImportResult(manifest: manifest, versionID: versionID, totalBytes: manifest.totalSize,
                            newChunks: written.newChunks, newBytes: written.newBytes,
                            reusedChunks: reusedChunks + written.alreadyStored)
    }

    /// What `stat` says about a file that changes when its bytes change.
    private struct Snapshot: Equatable {
        var device: UInt64, inode: UInt64, size: Int64
        var modified: (Int, Int), changed: (Int, Int)

        init(_ st: stat) {
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
            size = Int64(st.st_size)
            #if canImport(Darwin)
            modified = (Int(st.st_mtimespec.tv_sec), Int(st.st_mtimespec.tv_nsec))
            changed = (Int(st.st_ctimespec.tv_sec), Int(st.st_ctimespec.tv_nsec))
            #else
            modified = (Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec))
            changed = (Int(st.st_ctim.tv_sec), Int(st.st_ctim.tv_nsec))
            #endif
        }

        static func == (a: Snapshot, b: Snapshot) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size && a.modified == b.modified && a.changed == b.changed
        }
    }

    /// Chunks one file into the store. `chunks` is nil when the file changed while it was read
    /// (its stat before and after differ, or fewer or more bytes were read than it had).
    private func readFile(_ diskPath: String, chunker: ContentDefinedChunker, writer: ParallelChunkWriter,
                          counted: (Int64) -> Void) throws -> (chunks: [ChunkReference]?, reused: Int) {
        let fd = try FileSystem.openFile(diskPath, O_RDONLY | O_NOFOLLOW)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystem.ioError("cannot inspect", diskPath) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw ContentStoreError.io("\(ContentStoreError.quoted(diskPath)) changed type during the import")
        }
        let before = Snapshot(st)
        var chunks: [ChunkReference] = []
        var size: Int64 = 0
        var reused = 0
        try chunker.forEachChunk(fileDescriptor: fd, path: diskPath) { bytes in
            let hash = ContentHash.sha256Hex(bytes: bytes)
            if try !writer.submit(bytes, hash: hash) { reused += 1 }
            chunks.append(ChunkReference(hash: hash, size: bytes.count))
            size += Int64(bytes.count)
            counted(Int64(bytes.count))
        }
        guard fstat(fd, &st) == 0 else { throw FileSystem.ioError("cannot inspect", diskPath) }
        // The path too: a file replaced by rename keeps the old inode open here.
        var now = stat()
        let samePath = lstat(diskPath, &now) == 0 && Snapshot(now) == before
        guard Snapshot(st) == before, samePath, size == before.size else { return (nil, reused) }
        return (chunks, reused)
    }
}
