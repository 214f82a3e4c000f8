import ContentStore
import Foundation
import Messages
import Testing

/// Seeded bytes that do not compress, as real payloads mostly do not.
private func noise(_ count: Int, seed: UInt64) -> Data {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var bytes = [UInt8](repeating: 0, count: count)
    for index in bytes.indices {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[index] = UInt8(truncatingIfNeeded: state)
    }
    return Data(bytes)
}

/// SPEC C3: updates reach a DP as deltas against the version it holds, through the real
/// DM, PTM and DP (HTTP, bus, SQLite), counted at the DP.
@Suite("Binary differential replication end to end")
struct DifferentialReplicationTests {
    /// One edit shape of PLATFORM.md's delta table, scaled down to a few MB.
    enum Shape: String, CaseIterable {
        case replaceAndAdd, scatteredOverwrites, insertion, move, shuffle
    }

    /// What an update moved into dp1.
    struct Moved {
        var wholeChunkBytes: Int64
        var deltaBytes: Int64
        /// The bytes of the chunks the new version has and the old lacks: what whole-chunk transfer sends.
        var lackingBytes: Int64
        var total: Int64 { wholeChunkBytes + deltaBytes }
    }

    static func writeVersion1(_ folder: URL) throws {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("docs"), withIntermediateDirectories: true)
        try noise(3 << 20, seed: 1).write(to: folder.appendingPathComponent("image.bin"))
        try noise(2 << 20, seed: 2).write(to: folder.appendingPathComponent("blocks.bin"))
        try noise(256 << 10, seed: 3).write(to: folder.appendingPathComponent("docs/setup.exe"))
        try noise(300 << 10, seed: 4).write(to: folder.appendingPathComponent("docs/readme.pdf"))
    }

    static func apply(_ shape: Shape, to folder: URL) throws {
        let image = folder.appendingPathComponent("image.bin")
        switch shape {
        case .replaceAndAdd:
            try noise(256 << 10, seed: 30).write(to: folder.appendingPathComponent("docs/setup.exe"))
            try noise(512 << 10, seed: 31).write(to: folder.appendingPathComponent("added.bin"))
        case .scatteredOverwrites:
            var bytes = try Data(contentsOf: image)
            for edit in 0..<20 {
                let at = (edit * 150_001) % (bytes.count - 1024)
                bytes.replaceSubrange(at..<(at + 1024), with: noise(1024, seed: 100 + UInt64(edit)))
            }
            try bytes.write(to: image)
        case .insertion:
            var bytes = try Data(contentsOf: image)
            bytes.insert(contentsOf: noise(64 << 10, seed: 40), at: 1 << 20)
            try bytes.write(to: image)
        case .move:
            let moved = folder.appendingPathComponent("moved", isDirectory: true)
            try FileManager.default.createDirectory(at: moved, withIntermediateDirectories: true)
            for name in ["setup.exe", "readme.pdf"] {
                try FileManager.default.moveItem(at: folder.appendingPathComponent("docs/\(name)"), to: moved.appendingPathComponent(name))
            }
        case .shuffle:
            let file = folder.appendingPathComponent("blocks.bin")
            let bytes = try Data(contentsOf: file)
            var blocks = stride(from: 0, to: bytes.count, by: 64 << 10).map { bytes[$0..<min(bytes.count, $0 + (64 << 10))] }
            // 30 % of the blocks swap places in pairs.
            for pair in stride(from: 0, to: blocks.count * 3 / 10, by: 2) where pair + 1 < blocks.count {
                blocks.swapAt(pair * 3 % blocks.count, (pair * 3 + 7) % blocks.count)
            }
            try Data(blocks.joined()).write(to: file)
        }
    }

    /// Creates the content, installs version 1 on dp1, applies `shape`, updates, waits for
    /// dp1 to hold version 2, and returns what moved for the update.
    static func update(_ shape: Shape, differential: Bool, on site: TransferPolicySite,
                       beforeUpdate: (String) throws -> Void = { _ in }) async throws -> Moved {
        let folder = site.sourceFolder("app")
        try writeVersion1(folder)
        let created = try await site.admin.request(CreateContent(name: "app", type: .package, priority: .high, sourcePath: folder.path))
        if differential { _ = try await site.admin.request(SetContent(name: "app", distributeOnDemand: nil, differential: true)) }
        _ = try await site.admin.request(Distribute(name: "app", distributionPoints: ["dp1"], redistribute: false))
        #expect(try await eventually(.seconds(60)) { try await site.state("app", "dp1") == .installed })
        try beforeUpdate(created.version.versionID)
        let before = (try site.receivedBytes("dp1"), try site.metric("dp1", "ferry_dp_received_delta_bytes_total"))
        try apply(shape, to: folder)
        let updated = try await site.admin.request(UpdateContent(name: "app", sourcePath: nil))
        let version2 = updated.version.versionID
        #expect(try await eventually(.seconds(60)) {
            try await site.target("app", "dp1").map { $0.versionID == version2 && $0.state == .installed } == true
        })
        #expect(try site.installedAt("dp1", version2))
        #expect(try site.chunksAt("dp1", of: version2) == site.chunkSizes(version2).count, "every chunk of version 2 is at the DP")
        let old = Set(try site.chunkHashes(created.version.versionID))
        let lacking = try site.chunks(version2).filter { !old.contains($0.hash) }.reduce(Int64(0)) { $0 + Int64($1.size) }
        return Moved(wholeChunkBytes: try site.receivedBytes("dp1") - before.0,
                     deltaBytes: try site.metric("dp1", "ferry_dp_received_delta_bytes_total") - before.1, lackingBytes: lacking)
    }

    @Test("C3: scattered overwrites inside a large file move a small share of the whole chunks")
    func scatteredOverwritesMoveDeltas() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            let moved = try await Self.update(.scatteredOverwrites, differential: true, on: site)
            #expect(moved.deltaBytes > 0, "\(moved)")
            // 20 KiB of new bytes in about 20 changed chunks.
            #expect(moved.total * 3 < moved.lackingBytes, "\(moved) should be well below whole-chunk transfer")
            #expect(moved.total < 20 * 1024 * 2, "\(moved)")
        }
    }

    @Test("C3: an insertion moves about the inserted bytes, not the chunks around them")
    func insertionMovesTheInsertedBytes() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            let moved = try await Self.update(.insertion, differential: true, on: site)
            #expect(moved.deltaBytes > 0, "\(moved)")
            #expect(moved.total < moved.lackingBytes, "\(moved)")
            // The 64 KiB inserted are random: they cannot shrink; what surrounds them must not cost much.
            #expect(moved.total <= (64 << 10) + (8 << 10), "\(moved)")
        }
    }

    @Test("C3: blocks shuffled within a file are found where they moved, by resemblance")
    func shuffledBlocksAreFoundByResemblance() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            let moved = try await Self.update(.shuffle, differential: true, on: site)
            #expect(moved.lackingBytes > 500_000, "\(moved)")
            #expect(moved.total * 5 < moved.lackingBytes, "\(moved)")
        }
    }

    @Test("C3: new random bytes go whole, with no more than the whole chunks; a move sends nothing")
    func newBytesAndMoves() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            let moved = try await Self.update(.replaceAndAdd, differential: true, on: site)
            #expect(moved.total <= moved.lackingBytes + moved.lackingBytes / 50, "\(moved)")
        }
        try await TransferPolicySite.run(points: 1) { site in
            let moved = try await Self.update(.move, differential: true, on: site)
            #expect(moved.total == 0 && moved.lackingBytes == 0, "\(moved)")
        }
    }

    @Test("C3: a package with binary differential replication off gets whole chunks")
    func offMeansWholeChunks() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            let moved = try await Self.update(.scatteredOverwrites, differential: false, on: site)
            #expect(moved.deltaBytes == 0)
            #expect(moved.wholeChunkBytes == moved.lackingBytes, "\(moved)")
        }
    }

    @Test("C3: a chunk of the installed version the DP lost since is found missing and sent whole; the version installs")
    func aLostBaseChunkIsSentWhole() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            var lost: ChunkReference?
            let moved = try await Self.update(.scatteredOverwrites, differential: true, on: site) { version1 in
                // A chunk version 2 keeps (readme.pdf does not change), gone from the DP.
                let chunks = try site.chunks(version1)
                let store = try ChunkStore(root: site.site.folder.appendingPathComponent("dp1/store", isDirectory: true))
                let manifest = try store.manifest(version1)
                let readme = try #require(manifest.entries.first { $0.path == "docs/readme.pdf" }?.chunks.first)
                #expect(chunks.contains(readme))
                try FileManager.default.removeItem(at: store.chunkURL(readme.hash))
                lost = readme
            }
            let chunk = try #require(lost)
            #expect(moved.wholeChunkBytes == Int64(chunk.size), "only the lost chunk went whole: \(moved)")
        }
    }

    @Test("C3: a delta the DP cannot rebuild (its reference chunk is corrupt) is sent again whole, and the version verifies")
    func corruptReferenceFallsBack() async throws {
        try await TransferPolicySite.run(points: 1) { site in
            var corrupted: String?
            let moved = try await Self.update(.scatteredOverwrites, differential: true, on: site) { version1 in
                // Flip a byte of an old chunk of the image: it is the reference of its edited
                // successor, and version 2 no longer uses it.
                let folder = site.sourceFolder("app")
                let edited = site.site.folder.appendingPathComponent("preview", isDirectory: true)
                try? FileManager.default.removeItem(at: edited)
                try FileManager.default.copyItem(at: folder, to: edited)
                try Self.apply(.scatteredOverwrites, to: edited)
                let scratch = try ChunkStore(root: site.site.folder.appendingPathComponent("scratch", isDirectory: true))
                let preview = try FolderImporter(store: scratch).importFolder(at: edited)
                let next = Set(preview.manifest.uniqueChunks.map(\.hash))
                let victim = try #require(try site.chunkHashes(version1).first { !next.contains($0) })
                let store = try ChunkStore(root: site.site.folder.appendingPathComponent("dp1/store", isDirectory: true))
                var bytes = try Data(contentsOf: store.chunkURL(victim))
                bytes[bytes.count / 2] ^= 0xFF
                try bytes.write(to: store.chunkURL(victim))
                corrupted = victim
            }
            #expect(corrupted != nil)
            #expect(try site.metric("dp1", "ferry_dp_delta_failed_total") >= 1, "the DP said it could not rebuild one")
            #expect(moved.wholeChunkBytes > 0, "the failed chunk went whole: \(moved)")
        }
    }
}

extension TransferPolicySite {
    /// A counter of a DP's /metrics, 0 before it is first counted.
    func metric(_ point: String, _ name: String) throws -> Int64 {
        let service = try #require(points[point])
        let line = service.host.metrics.render().split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Int64($0.split(separator: " ").last ?? "") } ?? 0
    }

    func chunks(_ versionID: String) throws -> [ChunkReference] {
        try ChunkStore(root: site.folder.appendingPathComponent("site/library", isDirectory: true)).manifest(versionID).uniqueChunks
    }

    func chunkHashes(_ versionID: String) throws -> [String] { try chunks(versionID).map(\.hash) }
}
