import ContentStore
import FerryCLI
import Foundation
import Messages

/// A real content on the cluster's DPs and in its agents' caches, so the fuzzer's tokens
/// name a version that exists and its requests name chunks that exist: they then reach the
/// code behind the version and chunk checks, not only the refusals in front of them.
struct FuzzContent: Sendable {
    var versions: [String] = []
    var chunks: [String] = []

    /// Imports a small seeded content, distributes it to every DP and pre-caches it on every
    /// agent, and waits (at most `timeout`) until they hold it. On a cluster that refuses the
    /// import (a `--data` cluster whose site cannot read the fuzzer's folder), the versions
    /// its DPs already hold are used instead.
    static func prepare(cluster root: URL, targets: [FuzzTarget], seed: UInt64, timeout: TimeInterval = 120,
                        note: @Sendable (String) -> Void) async -> FuzzContent {
        let layout = ClusterLayout(root: root)
        let points = targets.filter { $0.service == "pull-dp" }.map(\.node)
        let agents = targets.filter { $0.service == "multicast-agent" }.map(\.node)
        do {
            let version = try await importAndSpread(layout: layout, points: points, seed: seed)
            let deadline = Date().addingTimeInterval(timeout)
            var lacking = points + agents
            while !lacking.isEmpty {
                lacking.removeAll { (try? store(of: $0, layout))?.hasManifest(version) == true }
                if lacking.isEmpty || Date() >= deadline { break }
                try? await Task.sleep(for: .milliseconds(250))
            }
            if !lacking.isEmpty { note("after \(Int(timeout)) s, \(lacking.joined(separator: ", ")) still lack the fuzzing content") }
        } catch {
            note("could not import the fuzzing content (\(error)); using the versions the DPs hold")
        }
        var content = FuzzContent()
        for point in points {
            guard let store = try? store(of: point, layout) else { continue }
            for version in (try? store.manifestIDs()) ?? [] where !content.versions.contains(version) {
                content.versions.append(version)
                content.chunks += (try? store.manifest(version).uniqueChunks.map(\.hash)) ?? []
            }
        }
        return content
    }

    private static func store(of node: String, _ layout: ClusterLayout) throws -> ChunkStore {
        try ChunkStore(root: layout.folder(of: node).appendingPathComponent("store", isDirectory: true))
    }

    private static func importAndSpread(layout: ClusterLayout, points: [String], seed: UInt64) async throws -> String {
        let source = layout.root.appendingPathComponent("fuzz-sources/fuzz-\(seed)", isDirectory: true)
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        var random = SeededGenerator(seed: seed)
        for (name, size) in [("setup.bin", 300_000), ("notes/readme.txt", 2_000)] {
            let file = source.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(random.bytes(size)).write(to: file)
        }
        let site = try SiteConnection(layout: layout)
        let name = "fuzz-\(seed)"
        let version: String
        do {
            version = try await site.request(CreateContent(name: name, type: .package, priority: .high, sourcePath: source.path)).version.versionID
        } catch let error as WireError where error.code == .conflict {
            version = try await site.request(UpdateContent(name: name, sourcePath: source.path)).version.versionID
        }
        _ = try await site.request(Distribute(name: name, distributionPoints: points, redistribute: false))
        // Agents download only from DPs a boundary group prefers for them: one for all of
        // loopback (kept if it is there already).
        _ = try? await site.request(CreateBoundaryGroup(name: "fuzz", ranges: [BoundaryRange(subnet: "127.0.0.0/8", firstAddress: nil, lastAddress: nil)]))
        for point in points {
            _ = try? await site.request(AddBoundaryGroupMember(group: "fuzz", member: BoundaryGroupMember(distributionPoint: point, slow: false)))
        }
        _ = try await site.request(Deploy(content: name, collection: "All Systems", command: nil, cacheOnly: true))
        return version
    }
}
