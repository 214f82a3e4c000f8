#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Thin POSIX helpers: the store, importer and rebuilder need lstat, O_NOFOLLOW, raw reads into
/// reusable buffers and atomic renames, which Foundation does not expose without copies.
enum FileSystem {
    enum Kind { case file, directory, symlink, other, missing }

    struct Status {
        var kind: Kind
        var size: Int64
        var permissions: UInt16
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    static func ioError(_ action: String, _ path: String, _ code: Int32 = errno) -> ContentStoreError {
        .io("\(action) \(ContentStoreError.quoted(path)): \(errorText(code))")
    }

    private static func kind(of mode: mode_t) -> Kind {
        switch mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// lstat (does not follow a final symbolic link); `.missing` when nothing is there.
    static func linkStatus(_ path: String) throws -> Status {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return Status(kind: .missing, size: 0, permissions: 0) }
            throw ioError("cannot inspect", path)
        }
        return Status(kind: kind(of: st.st_mode), size: Int64(st.st_size), permissions: UInt16(st.st_mode & 0o7777))
    }

    /// stat (follows links); `.missing` when nothing is there.
    static func status(_ path: String) throws -> Status {
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return Status(kind: .missing, size: 0, permissions: 0) }
            throw ioError("cannot inspect", path)
        }
        return Status(kind: kind(of: st.st_mode), size: Int64(st.st_size), permissions: UInt16(st.st_mode & 0o7777))
    }

    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    static func openFile(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        while true {
            let fd = open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw ioError("cannot open", path)
        }
    }

    /// Reads until `count` bytes or end of file; returns the bytes read.
    static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, path: String) throws -> Int {
        var done = 0
        while done < count {
            let n = read(fd, buffer + done, count - done)
            if n > 0 { done += n; continue }
            if n == 0 { break }
            if errno == EINTR { continue }
            throw ioError("cannot read", path)
        }
        return done
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard var base = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = write(fd, base, left)
            if n > 0 { base += n; left -= n; continue }
            if n < 0 && errno == EINTR { continue }
            throw ioError("cannot write", path, n < 0 ? errno : EIO)
        }
    }

    /// The whole content of a regular file, or nil when it does not exist.
    static func readWholeFile(_ path: String) throws -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw ioError("cannot open", path)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ioError("cannot inspect", path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ContentStoreError.io("\(ContentStoreError.quoted(path)) is not a regular file") }
        let size = Int(st.st_size)
        var data = Data(count: size)
        let got = try data.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return try readFully(fd, into: base, count: size, path: path)
        }
        if got < size { data.removeSubrange(got..<size) }
        // A file that grew since fstat: read the rest too.
        var tail = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = try tail.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return try readFully(fd, into: base, count: raw.count, path: path)
            }
            if n == 0 { break }
            data.append(contentsOf: tail[0..<n])
        }
        return data
    }

    /// Writes `bytes` to a new temporary file `temporaryPath`, optionally fsyncs, and renames it to `finalPath`.
    /// `makeParent` is called once if the rename fails because the final folder does not exist yet.
    static func writeAtomically(_ bytes: UnsafeRawBufferPointer, temporaryPath: String, finalPath: String,
                                mode: mode_t = 0o644, sync: Bool, makeParent: () throws -> Void) throws {
        let fd = try openFile(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        var renamed = false
        defer { if !renamed { unlink(temporaryPath) } }
        do {
            try writeAll(fd, bytes, path: temporaryPath)
            if sync && fsync(fd) != 0 { throw ioError("cannot fsync", temporaryPath) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw ioError("cannot close", temporaryPath) }
        if rename(temporaryPath, finalPath) != 0 {
            guard errno == ENOENT else { throw ioError("cannot rename into place", finalPath) }
            try makeParent()
            guard rename(temporaryPath, finalPath) == 0 else { throw ioError("cannot rename into place", finalPath) }
        }
        renamed = true
    }

    /// mkdir that accepts an existing directory.
    static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
        if mkdir(path, mode) == 0 { return }
        let code = errno
        if code == EEXIST, (try? status(path).kind) == .directory { return }
        throw ioError("cannot create folder", path, code)
    }

    /// Names in a folder (without "." and ".."), sorted by their UTF-8 bytes. Throws for names that are not UTF-8.
    static func directoryEntries(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw ioError("cannot list folder", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw ioError("cannot list folder", path) }
                break
            }
            let name: String? = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                    String(validatingCString: $0)
                }
            }
            guard let name else {
                throw ContentStoreError.unsafePath(path + "/?", reason: "a name in this folder is not valid UTF-8")
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return names
    }

    static func readLink(_ path: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { throw ioError("cannot read symbolic link", path) }
        let bytes = buffer[0..<n].map { UInt8(bitPattern: $0) }
        guard let target = String(validating: bytes, as: UTF8.self) else {
            throw ContentStoreError.unsafePath(path, reason: "symbolic link target is not valid UTF-8")
        }
        return target
    }

    /// A short random token for temporary names.
    static func uniqueSuffix() -> String {
        "\(getpid())-\(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF)"
    }
}
