#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Recreates a manifest's files, folders and links from a `ChunkStore`.
public struct FolderRebuilder: Sendable {
    public let store: ChunkStore

    public init(store: ChunkStore) {
        self.store = store
    }

    /// Recreates the entries of `manifest` under `folder` (created if needed). Checks the manifest first
    /// (`Manifest.validate`: unsafe paths and links leading out are refused before anything is written);
    /// verifies every chunk's hash and size as it reads it (`.hashMismatch`, `.missingChunk`); writes each file
    /// and link to a temporary name in its folder, sets its mode, then renames it into place. An existing symbolic
    /// link or file where the manifest needs a folder is replaced, never followed. Files already in `folder` that
    /// the manifest does not list are left alone. Permission bits above 0o777 (setuid, setgid, sticky) are not applied.
    public func rebuild(_ manifest: Manifest, into folder: URL) throws {
        try manifest.validate()
        var rootPath = folder.standardizedFileURL.path
        while rootPath.count > 1 && rootPath.hasSuffix("/") { rootPath.removeLast() }
        switch try FileSystem.status(rootPath).kind {
        case .directory: break
        case .missing:
            do {
                try FileManager.default.createDirectory(atPath: rootPath, withIntermediateDirectories: true)
            } catch {
                throw ContentStoreError.io("cannot create folder \(ContentStoreError.quoted(rootPath)): \(error.localizedDescription)")
            }
        default: throw ContentStoreError.notADirectory(rootPath)
        }
        func diskPath(_ relative: String) -> String { rootPath == "/" ? "/" + relative : rootPath + "/" + relative }

        var directoryModes: [(path: String, mode: UInt16)] = []
        for entry in manifest.entries where entry.kind == .directory {
            try ensureDirectory(entry.path, rootPath: rootPath)
            directoryModes.append((diskPath(entry.path), entry.mode))
        }
        for entry in manifest.entries where entry.kind == .file {
            try ensureParent(of: entry.path, rootPath: rootPath)
            try writeFile(entry, to: diskPath(entry.path))
        }
        for entry in manifest.entries where entry.kind == .symlink {
            guard let target = entry.linkTarget else { continue }
            try ensureParent(of: entry.path, rootPath: rootPath)
            let finalPath = diskPath(entry.path)
            let temporary = temporaryName(for: finalPath)
            guard symlink(target, temporary) == 0 else { throw FileSystem.ioError("cannot create symbolic link", temporary) }
            guard rename(temporary, finalPath) == 0 else {
                let code = errno
                unlink(temporary)
                throw FileSystem.ioError("cannot rename into place", finalPath, code)
            }
        }
        // Folder modes last, deepest first, so a read-only folder does not stop its own content being written.
        for (path, mode) in directoryModes.reversed() {
            guard chmod(path, mode_t(mode & 0o777)) == 0 else { throw FileSystem.ioError("cannot set the mode of", path) }
        }
    }

    private func temporaryName(for finalPath: String) -> String {
        let slash = finalPath.lastIndex(of: "/") ?? finalPath.startIndex
        let folder = finalPath[..<slash]
        let name = finalPath[finalPath.index(after: slash)...].prefix(100)
        return folder + "/." + name + ".ferry-" + FileSystem.uniqueSuffix()
    }

    private func ensureParent(of relative: String, rootPath: String) throws {
        guard let slash = relative.lastIndex(of: "/") else { return }
        try ensureDirectory(String(relative[..<slash]), rootPath: rootPath)
    }

    /// Makes every component of `relative` a real folder under the root, replacing (not following) links and files.
    private func ensureDirectory(_ relative: String, rootPath: String) throws {
        var path = rootPath == "/" ? "" : rootPath
        for component in relative.split(separator: "/") {
            path += "/" + component
            switch try FileSystem.linkStatus(path).kind {
            case .directory:
                continue
            case .missing:
                try FileSystem.makeDirectory(path, mode: 0o755)
            case .file, .symlink, .other:
                guard unlink(path) == 0 else { throw FileSystem.ioError("cannot replace with a folder", path) }
                try FileSystem.makeDirectory(path, mode: 0o755)
            }
        }
    }

    private func writeFile(_ entry: ManifestEntry, to finalPath: String) throws {
        let temporary = temporaryName(for: finalPath)
        let fd = try FileSystem.openFile(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600)
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            for chunk in entry.chunks {
                let data = try store.read(chunk.hash)
                let actual = ContentHash.sha256Hex(data)
                guard actual == chunk.hash else { throw ContentStoreError.hashMismatch(expected: chunk.hash, actual: actual) }
                guard data.count == chunk.size else {
                    throw ContentStoreError.io("chunk \(chunk.hash) has \(data.count) bytes, the manifest says \(chunk.size)")
                }
                try data.withUnsafeBytes { try FileSystem.writeAll(fd, $0, path: temporary) }
            }
            if store.synchronizesWrites && fsync(fd) != 0 { throw FileSystem.ioError("cannot fsync", temporary) }
            guard fchmod(fd, mode_t(entry.mode & 0o777)) == 0 else { throw FileSystem.ioError("cannot set the mode of", temporary) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw FileSystem.ioError("cannot close", temporary) }
        guard rename(temporary, finalPath) == 0 else { throw FileSystem.ioError("cannot rename into place", finalPath) }
        renamed = true
    }
}
