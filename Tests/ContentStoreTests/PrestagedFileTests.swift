import Foundation
import Testing
@testable import ContentStore

/// SPEC C9: a prestaged content file carries one version and checks itself; a truncated or
/// tampered file is refused with the reason, and nothing partial is kept.
@Suite("Prestaged content files")
struct PrestagedFileTests {
    /// A store holding one imported version of a few files; returns the store and the version id.
    func exportedFile(in folder: URL) throws -> (ChunkStore, String, URL) {
        let source = folder.appendingPathComponent("source", isDirectory: true)
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try pseudoRandomData(count: 300_000, seed: 7).write(to: source.appendingPathComponent("setup.exe"))
        try pseudoRandomData(count: 90_000, seed: 8).write(to: source.appendingPathComponent("data.cab"))
        let store = try ChunkStore(root: folder.appendingPathComponent("site"))
        let imported = try FolderImporter(store: store).importFolder(at: source)
        try store.storeManifest(try imported.manifest.canonicalData(), versionID: imported.versionID)
        let file = folder.appendingPathComponent("office.ferrypkg")
        try PrestagedFileWriter.export(imported.versionID, from: store, to: file) { manifest in
            PrestagedHeader(content: "office", type: "package", priority: "high", version: 3, chainPosition: 2, manifest: manifest,
                            exportedFrom: "site", exportedAt: Date(timeIntervalSince1970: 1_800_000_000))
        }
        return (store, imported.versionID, file)
    }

    func chunkCount(_ store: ChunkStore) throws -> Int { try store.chunkCount() }

    @Test func C9_aFileRoundTripsIntoAnotherStoreAndSaysWhatItCarries() throws {
        try withTemporaryFolder { folder in
            let (site, versionID, file) = try exportedFile(in: folder)
            let target = try ChunkStore(root: folder.appendingPathComponent("dp"))
            var seen: PrestagedHeader?
            let manifest = try PrestagedImport(store: target).importFile(file) { seen = $0 }
            #expect(manifest.versionID == versionID)
            #expect(seen?.content == "office" && seen?.version == 3 && seen?.chainPosition == 2 && seen?.priority == "high")
            #expect(target.verify(manifest.manifest).isComplete)
            #expect(try chunkCount(target) == chunkCount(site))
            #expect(try target.manifestIDs() == [versionID])
            // Importing again stores nothing new.
            let again = PrestagedImport(store: target)
            _ = try again.importFile(file) { _ in }
            #expect(again.storedChunks == 0 && again.presentChunks == manifest.manifest.uniqueChunks.count)
        }
    }

    @Test func C9_truncatedFilesAreRefusedAndLeaveNothing() throws {
        try withTemporaryFolder { folder in
            let (_, _, file) = try exportedFile(in: folder)
            let bytes = try Data(contentsOf: file)
            for cut in [0, 5, 30, 400, bytes.count / 2, bytes.count - 40, bytes.count - 1] {
                let truncated = folder.appendingPathComponent("cut-\(cut).ferrypkg")
                try bytes.prefix(cut).write(to: truncated)
                let target = try ChunkStore(root: folder.appendingPathComponent("dp-\(cut)"))
                #expect(throws: PrestagedFileError.self, "cut at \(cut)") { _ = try PrestagedImport(store: target).importFile(truncated) { _ in } }
                #expect(try chunkCount(target) == 0 && target.manifestIDs().isEmpty, "cut at \(cut): nothing kept")
            }
            let target = try ChunkStore(root: folder.appendingPathComponent("dp-half"))
            let error = #expect(throws: PrestagedFileError.self) {
                try bytes.prefix(bytes.count / 2).write(to: folder.appendingPathComponent("half"))
                _ = try PrestagedImport(store: target).importFile(folder.appendingPathComponent("half")) { _ in }
            }
            #expect(error?.description.contains("truncated") == true, "\(String(describing: error))")
        }
    }

    @Test func C9_tamperedFilesAreRefusedWithTheReason() throws {
        try withTemporaryFolder { folder in
            let (_, _, file) = try exportedFile(in: folder)
            let bytes = try Data(contentsOf: file)
            func refusal(_ change: (inout Data) -> Void) throws -> String {
                var changed = bytes
                change(&changed)
                let url = folder.appendingPathComponent("tampered.ferrypkg")
                try changed.write(to: url)
                let target = try ChunkStore(root: folder.appendingPathComponent("dp-\(UUID().uuidString.prefix(6))"))
                defer { #expect((try? chunkCount(target)) == 0, "nothing kept") }
                do {
                    _ = try PrestagedImport(store: target).importFile(url) { _ in }
                    return "accepted"
                } catch {
                    return "\(error)"
                }
            }
            // A byte of the last chunk (just before the seal).
            #expect(try refusal { $0[$0.count - PrestagedFile.trailerLength - 10] ^= 0x01 }.contains("damaged"))
            // The content's name in the header.
            let name = try #require(bytes.range(of: Data("\"office\"".utf8)))
            #expect(try refusal { $0.replaceSubrange(name, with: Data("\"offica\"".utf8)) }.contains("seal"))
            // The manifest no longer matches the version id.
            let manifestStart = try #require(bytes.range(of: Data("{\"".utf8), in: 30..<bytes.count, skipping: 1))
            #expect(try refusal { $0[manifestStart.upperBound + 2] ^= 0x20 }.contains("manifest"))
            #expect(try refusal { $0.append(contentsOf: [0x0A]) }.contains("goes on after its end"))
            #expect(try refusal { $0[0] = 0x41 }.contains("not a Ferry prestaged content file"))
        }
    }
}

private extension Data {
    /// The range of the n-th (0-based `skipping`) occurrence of `needle` within `bounds`.
    func range(of needle: Data, in bounds: Range<Int>, skipping: Int) -> Range<Int>? {
        var start = bounds.lowerBound
        var skipped = 0
        while let found = range(of: needle, in: start..<bounds.upperBound) {
            if skipped == skipping { return found }
            skipped += 1
            start = found.upperBound
        }
        return nil
    }
}
