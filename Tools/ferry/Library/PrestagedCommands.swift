import ArgumentParser
import ContentStore
import ContentTransfer
import Foundation
import HTTPTransfer
import Messages

extension PrestageMode: ExpressibleByArgument {}

/// Reading, writing and uploading prestaged content files for the CLI (SPEC C9).
enum PrestagedTransfer {
    /// The header of a prestaged file, read from its first bytes (the file is checked in full where it is imported).
    static func header(of file: URL) throws -> PrestagedHeader {
        guard let handle = FileHandle(forReadingAtPath: file.path) else { throw ValidationError("cannot open \(file.path)") }
        defer { try? handle.close() }
        var reader = PrestagedFileReader()
        while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
            reader.append(piece)
            do {
                if case .header(let header, _)? = try reader.next() { return header }
            } catch {
                throw ValidationError("\(file.path): \(error)")
            }
        }
        throw ValidationError("\(file.path): \(PrestagedFileError("the file is truncated"))")
    }

    /// Uploads the file (memory-mapped, never read whole into memory) with the ticket's token.
    static func upload(_ file: URL, ticket: UploadTicket) async throws -> Data {
        let body = try Data(contentsOf: file, options: .alwaysMapped)
        let response = try await HTTPClient.shared.post(ticket.url, body: body, options: HTTPRequestOptions(
            headers: ["Authorization": "Bearer \(ticket.token)", "Content-Type": "application/octet-stream"],
            timeoutSeconds: 6 * 3600, lowSpeedTimeSeconds: 300))
        guard response.isSuccess else {
            throw ValidationError(String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                .nilIfEmpty ?? "the upload was refused with HTTP \(response.status)")
        }
        return response.body
    }

    /// Writes a prestaged file of the ticket's version, fetched from the library or the DP
    /// and checked chunk by chunk; a failed export leaves no file.
    static func export(_ ticket: ContentExportTicket, to file: URL, progress: (Int, Int) -> Void) async throws {
        let source = HTTPContentSource(id: ContentSourceID(kind: ticket.fromDistributionPoint ? .distributionPoint : .siteLibrary, name: ticket.sourceName),
                                       baseURL: ticket.sourceURL, layout: ticket.fromDistributionPoint ? .distributionPoint : .siteLibrary,
                                       timeoutSeconds: 300) { ticket.token }
        let versionID = ticket.version.versionID
        guard let data = try await source.manifestData(of: versionID) else {
            throw ValidationError("\(ticket.sourceName) does not hold the manifest of version \(ticket.version.number)")
        }
        let manifest = try VerifiedManifest(data: data, versionID: versionID)
        let header = PrestagedHeader(content: ticket.content.name, type: ticket.content.type.rawValue, priority: ticket.content.priority.rawValue,
                                     version: ticket.version.number, chainPosition: ticket.version.chainPosition, manifest: manifest,
                                     exportedFrom: ticket.sourceName, exportedAt: Date())
        let writer = try PrestagedFileWriter(destination: file, header: header, manifest: manifest)
        let chunks = manifest.manifest.uniqueChunks
        if ticket.fromDistributionPoint {
            try await fetchEach(chunks, of: versionID, from: source, ticket: ticket, into: writer, progress: progress)
        } else {
            try await fetchBatches(chunks, ticket: ticket, into: writer, progress: progress)
        }
        try writer.finish()
    }

    /// From a DP: a window of chunks fetched side by side, written in manifest order.
    private static func fetchEach(_ chunks: [ChunkReference], of versionID: String, from source: HTTPContentSource, ticket: ContentExportTicket,
                                  into writer: PrestagedFileWriter, progress: (Int, Int) -> Void) async throws {
        var written = 0
        for start in stride(from: 0, to: chunks.count, by: 32) {
            let window = Array(chunks[start..<min(chunks.count, start + 32)])
            let fetched = try await withThrowingTaskGroup(of: (Int, Data).self) { group in
                for (index, chunk) in window.enumerated() {
                    group.addTask {
                        guard let bytes = try await source.chunkData(chunk.hash, of: versionID) else {
                            throw ValidationError("\(ticket.sourceName) lacks chunk \(chunk.hash) of version \(ticket.version.number)")
                        }
                        return (index, bytes)
                    }
                }
                var byIndex: [Int: Data] = [:]
                for try await (index, bytes) in group { byIndex[index] = bytes }
                return byIndex
            }
            for index in window.indices {
                guard let bytes = fetched[index] else { throw ValidationError("a chunk went missing") }
                try writer.append(bytes)
            }
            written += window.count
            progress(written, chunks.count)
        }
    }

    /// From the site library: blocks of chunks in one request each (`/library/chunk-batch`),
    /// the next block asked for while the last is written.
    private static func fetchBatches(_ chunks: [ChunkReference], ticket: ContentExportTicket, into writer: PrestagedFileWriter,
                                     progress: (Int, Int) -> Void) async throws {
        let url = ticket.sourceURL + DataPlanePath.libraryChunkBatch.path()
        let block = 256
        @Sendable func fetch(_ start: Int) async throws -> [String: Data] {
            let hashes = chunks[start..<min(chunks.count, start + block)].map(\.hash)
            let response = try await HTTPClient.shared.post(url, body: ChunkBatch.request(hashes: hashes), options: HTTPRequestOptions(
                headers: ["Authorization": "Bearer \(ticket.token)"], timeoutSeconds: 600))
            guard response.status == 200 else {
                throw ValidationError("the site library refused a chunk batch (HTTP \(response.status)): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
            }
            var reader = ChunkBatch.Reader(maximumChunkSize: 256 << 20)
            reader.append(response.body)
            var frames: [String: Data] = [:]
            while let (hash, data) = try reader.next() { frames[hash] = data }
            return frames
        }
        var next: Task<[String: Data], any Error>? = chunks.isEmpty ? nil : Task { try await fetch(0) }
        for start in stride(from: 0, to: chunks.count, by: block) {
            guard let current = next else { break }
            let frames = try await current.value
            let following = start + block
            next = following < chunks.count ? Task { try await fetch(following) } : nil
            for chunk in chunks[start..<min(chunks.count, start + block)] {
                guard let bytes = frames[chunk.hash] else {
                    next?.cancel()
                    throw ValidationError("the site library lacks chunk \(chunk.hash) of version \(ticket.version.number)")
                }
                try writer.append(bytes)
            }
            progress(min(chunks.count, start + block), chunks.count)
        }
    }
}

extension ContentCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a prestaged content file of a version (SPEC C9): manifest and chunks in one self-checking file.",
            discussion: "Read from the site library, or from a DP holding the version with --from-dp. Import it on a DP with 'ferry dp import' (or 'pull-dp import-prestaged' on the DP's host), or into a rebuilt site's library with 'ferry library restore'.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The content's name.") var name: String
        @Option(help: "The version number (default: the current version).") var version: Int?
        @Option(name: .customLong("from-dp"), help: "Read it from this DP instead of the site library.") var fromDistributionPoint: String?
        @Option(help: "The file to write (it must not exist).") var out: String

        func run() async throws {
            let file = URL(fileURLWithPath: absolute(out))
            guard !FileManager.default.fileExists(atPath: file.path) else { throw ValidationError("\(file.path) exists; choose another --out") }
            let ticket = try await global.connection().request(ExportContent(name: name, version: version, fromDistributionPoint: fromDistributionPoint))
            var shown = 0
            try await PrestagedTransfer.export(ticket, to: file) { done, total in
                guard !global.json, done - shown >= 4096 || done == total else { return }
                shown = done
                print("  \(done) of \(total) chunks")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int64) ?? 0
            if global.json {
                return try Formatting.printJSON(["file": file.path, "content": ticket.content.name, "version": "\(ticket.version.number)",
                                                 "versionID": ticket.version.versionID, "bytes": "\(size)", "from": ticket.sourceName])
            }
            print("exported \(ticket.content.name) version \(ticket.version.number) (\(ticket.version.versionID.prefix(12))) from \(ticket.sourceName) to \(file.path): \(Formatting.bytes(size))")
        }
    }
}

extension DistributionPointCommand {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload a prestaged content file to a DP (SPEC C9); the DP checks every chunk and installs the version.",
            discussion: "The site must know the version (on a rebuilt site, 'ferry library restore' first). A truncated or changed file is refused with the reason and nothing of it is kept. On the DP's own host, 'pull-dp import-prestaged --config FILE PRESTAGED' does the same without the network.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The prestaged file.") var file: String
        @Option(name: .customLong("dp"), help: "The distribution point.") var distributionPoint: String

        func run() async throws {
            let url = URL(fileURLWithPath: absolute(file))
            let header = try PrestagedTransfer.header(of: url)
            let connection = try global.connection()
            let ticket = try await connection.request(PrestagedImportTicketRequest(distributionPoint: distributionPoint, versionID: header.versionID))
            _ = try await PrestagedTransfer.upload(url, ticket: ticket)
            let recorded = try await connection.request(RecordPrestagedImport(distributionPoint: distributionPoint, versionID: header.versionID))
            if global.json { return try Formatting.printJSON(recorded) }
            print("\(recorded.content) version \(recorded.version): \(recorded.detail)")
            if !recorded.installed { throw ExitCode.failure }
        }
    }
}

struct LibraryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "library", abstract: "The site's content library.", subcommands: [Restore.self])

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a version into the site library from a prestaged content file (a rebuilt site, SPEC C9).",
            discussion: "A version the site's records know gets its files back; a content the site does not know is created from the file (name, type, priority, version number). A truncated or changed file is refused and nothing of it is kept.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The prestaged file.") var file: String

        struct Summary: Codable {
            var content: String
            var version: Int
            var versionID: String
            var createdContent: Bool
            var storedChunks: Int
            var presentChunks: Int
            var storedBytes: Int64
        }

        func run() async throws {
            let url = URL(fileURLWithPath: absolute(file))
            let header = try PrestagedTransfer.header(of: url)
            let ticket = try await global.connection().request(LibraryRestoreTicketRequest(versionID: header.versionID))
            let body = try await PrestagedTransfer.upload(url, ticket: ticket)
            let summary = try JSONDecoder().decode(Summary.self, from: body)
            if global.json { return try Formatting.printJSON(summary) }
            print("restored \(summary.content) version \(summary.version) (\(summary.versionID.prefix(12))) into the site library"
                  + (summary.createdContent ? ", as a new content" : "")
                  + ": \(summary.storedChunks) chunks stored (\(Formatting.bytes(summary.storedBytes))), \(summary.presentChunks) already there")
        }
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension DistributionPointCommand {
    struct MoveLibrary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "move-library",
            abstract: "Move a DP's content library to another folder or disk on its host (SPEC C11); without --to, show how the move stands.",
            discussion: "The DP keeps serving. Every chunk and manifest is copied and checked, what arrives meanwhile is copied too, then the DP switches to the new folder, its configuration's libraryFolder is rewritten, and the old folder is removed. Interrupted at any point (even kill -9), nothing is lost: the old folder stays the library until the switch, and the move goes on when the DP starts again. The target must be absent or empty, outside the current library, with room for it.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The distribution point.") var name: String
        @Option(help: "The new folder, an absolute path on the DP's host.") var to: String?
        @Flag(help: "Wait until the move is done or failed, printing progress.") var wait = false
        @Option(help: "With --wait: give up after this many seconds (exit 2).") var timeout: Double = 3600

        func run() async throws {
            let connection = try global.connection()
            var status = try await connection.request(Messages.MoveLibrary(distributionPoint: name, folder: to))
            let deadline = Date().addingTimeInterval(timeout)
            var printed = ""
            while wait, status.phase == .copying || status.phase == .switched {
                let line = Self.describe(status)
                if !global.json, line != printed { print(line); printed = line }
                guard Date() < deadline else { throw ExitCode(2) }
                try await Task.sleep(for: .milliseconds(500))
                status = try await connection.request(Messages.MoveLibrary(distributionPoint: name, folder: nil))
            }
            if global.json { return try Formatting.printJSON(status) }
            print(Self.describe(status))
            if status.phase == .failed { throw ExitCode.failure }
        }

        static func describe(_ status: LibraryMoveStatus) -> String {
            let progress = "\(status.copiedChunks) of \(status.totalChunks) chunks, \(Formatting.bytes(status.copiedBytes)) of \(Formatting.bytes(status.totalBytes))"
            let corrupt = status.corruptChunks > 0 ? "; \(status.corruptChunks) corrupt chunks not copied ('ferry dp validate' then 'ferry dp repair')" : ""
            switch status.phase {
            case .idle: return "\(status.distributionPoint): library in \(status.libraryFolder); no move asked for"
            case .copying: return "\(status.distributionPoint): moving the library to \(status.target ?? "?"): \(progress)\(corrupt)"
            case .switched: return "\(status.distributionPoint): serving from \(status.target ?? "?"); removing the old folder"
            case .done: return "\(status.distributionPoint): library in \(status.libraryFolder) (\(status.detail ?? "moved")): \(progress)\(corrupt)"
            case .failed: return "\(status.distributionPoint): the move to \(status.target ?? "?") failed: \(status.detail ?? "?"); the library stays in \(status.libraryFolder)"
            }
        }
    }
}
