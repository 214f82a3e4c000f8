#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import ServiceLifecycle
import Store

/// Moves the DP's content library to another folder while the DP serves (SPEC C11).
///
/// Copies every chunk and manifest, each checked against its hash, through the store's
/// temporary files; copies again what arrived meanwhile; then switches every reader and
/// writer to the new folder at once, copies the last arrivals, rewrites the configuration's
/// `libraryFolder`, and only then removes the old folder. Until the configuration names the
/// new folder the old one is the library: a kill at any point loses nothing, and the move
/// goes on at the next start (the `libraryMove` row says where it was).
final class LibraryMover: Service, Sendable {
    struct Record: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "libraryMove"
        var id = 1
        var source: String
        var target: String
        var phase: LibraryMovePhase
        var copiedChunks = 0
        var totalChunks = 0
        var copiedBytes: Int64 = 0
        var totalBytes: Int64 = 0
        var corruptChunks = 0
        var detail: String?
        var updatedAt: Double
    }

    let node: String
    let content: DistributionPointContent
    let configurationURL: URL
    let bytesPerSecond: Int?
    private let signal = WakeSignal()

    var database: ServiceDatabase { content.database }
    var logger: Logger { content.logger }

    init(node: String, content: DistributionPointContent, configurationURL: URL, bytesPerSecond: Int?) {
        self.node = node
        self.content = content
        self.configurationURL = configurationURL
        self.bytesPerSecond = bytesPerSecond
    }

    // MARK: Requests

    func handle(_ request: MoveLibrary) async throws -> LibraryMoveStatus {
        guard let folder = request.folder else { return try await status() }
        let current = content.store.root.path
        let existing = try await database.read { db in try Record.fetchOne(db, key: 1) }
        if let existing, existing.phase == .copying || existing.phase == .switched {
            throw WireError(code: .conflict, message: "a move to \(existing.target) is already under way (\(existing.phase.rawValue))")
        }
        let target = LibraryMoveRule.normalized(folder)
        let entries = try? FileManager.default.contentsOfDirectory(atPath: target)
        let bytes = try content.store.storedBytes()
        if let refusal = LibraryMoveRule.refusal(current: current, target: folder, targetEntries: entries, libraryBytes: bytes,
                                                 freeBytes: Self.freeBytes(near: target)) {
            throw WireError(code: .invalidArgument, message: "cannot move the library: \(refusal)")
        }
        do {
            _ = try ChunkStore(root: URL(fileURLWithPath: target, isDirectory: true))
        } catch {
            throw WireError(code: .invalidArgument, message: "cannot move the library: cannot create \(target): \(error)")
        }
        let record = Record(source: current, target: target, phase: .copying, detail: "starting", updatedAt: content.clock.now.timeIntervalSince1970)
        try await database.write { db in try record.save(db) }
        logger.info("library move started", metadata: ["from": "\(current)", "to": "\(target)", "bytes": "\(bytes)"])
        signal.wake()
        return try await status()
    }

    func status() async throws -> LibraryMoveStatus {
        let record = try await database.read { db in try Record.fetchOne(db, key: 1) }
        return LibraryMoveStatus(distributionPoint: node, libraryFolder: content.store.root.path, phase: record?.phase ?? .idle,
                                 target: record?.target, copiedChunks: record?.copiedChunks ?? 0, totalChunks: record?.totalChunks ?? 0,
                                 copiedBytes: record?.copiedBytes ?? 0, totalBytes: record?.totalBytes ?? 0,
                                 corruptChunks: record?.corruptChunks ?? 0, detail: record?.detail)
    }

    // MARK: The move

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.continueMove()
                await self.signal.idle()
            }
        }
    }

    /// Goes on with an unfinished move, from where the row says it was.
    func continueMove() async {
        guard var record = try? await database.read({ db in try Record.fetchOne(db, key: 1) }),
              record.phase == .copying || record.phase == .switched else { return }
        do {
            if LibraryMoveRule.normalized(content.store.root.path) == record.target {
                // The configuration names the new folder already: only the old one is left to remove.
                record.phase = .switched
            } else {
                try await copy(&record)
                if Task.isCancelled { return }
                try await switchOver(&record)
            }
            try await removeOld(&record)
        } catch {
            if Task.isCancelled { return }
            logger.error("library move failed", metadata: ["to": "\(record.target)", "error": "\(error)"])
            if record.phase == .copying {
                // The old folder is still the library; the partial copy goes.
                try? FileManager.default.removeItem(atPath: record.target)
            }
            record.phase = record.phase == .copying ? .failed : record.phase
            record.detail = "\(error)"
            try? await save(record)
        }
    }

    private func save(_ record: Record) async throws {
        var record = record
        record.updatedAt = content.clock.now.timeIntervalSince1970
        try await database.write { [record] db in try record.save(db) }
    }

    /// Copies until a pass finds nothing new (at most five passes: pushes may go on).
    private func copy(_ record: inout Record) async throws {
        let source = content.store
        let target = try ChunkStore(root: URL(fileURLWithPath: record.target, isDirectory: true))
        var total = (chunks: 0, bytes: Int64(0))
        try source.forEachStoredChunk { _, size in
            total.chunks += 1
            total.bytes += size
        }
        record.totalChunks = total.chunks
        record.totalBytes = total.bytes
        for pass in 1...5 {
            record.detail = "copying, pass \(pass)"
            let copied = try await copyMissing(from: source, to: target, record: &record)
            if copied == 0 || Task.isCancelled { break }
        }
    }

    /// Copies the chunks and then the manifests the target lacks; returns how many.
    private func copyMissing(from source: ChunkStore, to target: ChunkStore, record: inout Record) async throws -> Int {
        var pending: [(String, Int64)] = []
        try source.forEachStoredChunk { hash, size in
            if target.storedSize(hash).map({ Int64($0) }) != size { pending.append((hash, size)) }
        }
        var copied = 0
        let started = ContinuousClock.now
        var bytesThisPass: Int64 = 0
        for (index, (hash, _)) in pending.enumerated() {
            if Task.isCancelled { return copied }
            guard let data = try? source.read(hash) else { continue }  // removed meanwhile (a retirement)
            guard let chunk = try? VerifiedBytes(data: data, hash: hash) else {
                record.corruptChunks += 1
                logger.warning("library move: a corrupt chunk is not copied (validation will find it missing)", metadata: ["chunk": "\(hash)"])
                continue
            }
            try target.write(chunk)
            copied += 1
            record.copiedChunks += 1
            record.copiedBytes += Int64(data.count)
            bytesThisPass += Int64(data.count)
            if let bytesPerSecond, bytesPerSecond > 0 {
                let due = Double(bytesThisPass) / Double(bytesPerSecond)
                let elapsed = (ContinuousClock.now - started).timeInterval
                if due > elapsed { try await Task.sleep(for: .milliseconds(Int((due - elapsed) * 1000))) }
            }
            if index % 16 == 15 { try await save(record) }
        }
        for versionID in try source.manifestIDs() where !target.hasManifest(versionID) {
            guard let data = try? source.manifestData(versionID) else { continue }
            try target.storeManifest(data, versionID: versionID)
            copied += 1
        }
        try await save(record)
        return copied
    }

    /// Switches readers and writers to the new folder, copies what landed in the old one
    /// meanwhile, then makes the configuration name the new folder.
    private func switchOver(_ record: inout Record) async throws {
        let source = content.store
        let target = try ChunkStore(root: URL(fileURLWithPath: record.target, isDirectory: true))
        content.library.switchTo(target)
        _ = try await copyMissing(from: source, to: target, record: &record)
        let report = target.verifyAll()
        guard report.missing.isEmpty else {
            content.library.switchTo(source)
            throw ContentStoreError.io("after the copy \(report.missing.count) chunks named by manifests are missing in \(record.target)")
        }
        try Self.rewriteConfiguration(configurationURL, libraryFolder: record.target)
        record.phase = .switched
        record.detail = "serving from \(record.target); removing \(record.source)"
        try await save(record)
        logger.info("library switched", metadata: ["from": "\(record.source)", "to": "\(record.target)"])
    }

    private func removeOld(_ record: inout Record) async throws {
        if FileManager.default.fileExists(atPath: record.source) {
            try FileManager.default.removeItem(atPath: record.source)
        }
        record.phase = .done
        record.detail = "moved from \(record.source)"
        try await save(record)
        logger.info("library move done", metadata: ["to": "\(record.target)", "chunks": "\(record.copiedChunks)",
                                                    "bytes": "\(record.copiedBytes)", "corrupt-left": "\(record.corruptChunks)"])
    }

    /// Writes `libraryFolder` into the configuration file, every other line kept, through a temporary file and a rename.
    static func rewriteConfiguration(_ url: URL, libraryFolder: String) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let setting = "libraryFolder: '\(libraryFolder.replacingOccurrences(of: "'", with: "''"))'"
        if let index = lines.firstIndex(where: { $0.hasPrefix("libraryFolder:") }) {
            lines[index] = setting
        } else {
            if lines.last == "" { lines.removeLast() }
            lines.append(setting)
            lines.append("")
        }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8))")
        try lines.joined(separator: "\n").write(to: temporary, atomically: false, encoding: .utf8)
        let handle = try FileHandle(forWritingTo: temporary)
        try handle.synchronize()
        try handle.close()
        guard rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw ContentStoreError.io("cannot replace \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Free bytes on the file system of `path`, or of its nearest existing parent.
    static func freeBytes(near path: String) -> Int64? {
        var probe = URL(fileURLWithPath: path)
        while !FileManager.default.fileExists(atPath: probe.path), probe.path != "/" { probe.deleteLastPathComponent() }
        var stats = statvfs()
        guard statvfs(probe.path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}

extension ChunkStore {
    /// Which chunks the stored manifests name that the store lacks (sizes not re-hashed).
    func verifyAll() -> VerificationReport {
        var report = VerificationReport()
        guard let referenced = try? referencedChunks().chunks else { return report }
        report.missing = referenced.filter { !contains($0) }.sorted()
        return report
    }
}
