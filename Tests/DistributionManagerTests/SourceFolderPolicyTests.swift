@testable import DistributionManager
import Foundation
import Messages
import Testing

// Issue 15 item 4 (the rule split out of ContentCatalog), issue 14's source roots: which folders may be imported.
@Suite("SourceFolderPolicy")
struct SourceFolderPolicyTests {
    final class Folders {
        let root = URL(fileURLWithPath: "/tmp/ferry-sfp-\(UUID().uuidString.prefix(8))", isDirectory: true)
        var sources: URL { root.appendingPathComponent("sources") }
        var data: URL { root.appendingPathComponent("data") }
        init() throws {
            for folder in [sources.appendingPathComponent("office"), data, root.appendingPathComponent("elsewhere")] {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            }
        }
        deinit { try? FileManager.default.removeItem(at: root) }
        var policy: SourceFolderPolicy { SourceFolderPolicy(roots: [sources.path], protectedFolders: [data]) }
    }

    @Test func aFolderInsideARootIsImportedWithLinksResolved() throws {
        let folders = try Folders()
        let link = folders.sources.appendingPathComponent("current")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: folders.sources.appendingPathComponent("office"))
        #expect(try folders.policy.folder(for: link.path).path == SourceFolderPolicy.resolved(folders.sources.appendingPathComponent("office").path))
    }

    @Test func aFolderOutsideTheRootsOrALinkLeadingOutIsRefused() throws {
        let folders = try Folders()
        let escape = folders.sources.appendingPathComponent("escape")
        try FileManager.default.createSymbolicLink(at: escape, withDestinationURL: folders.root.appendingPathComponent("elsewhere"))
        for path in [folders.root.appendingPathComponent("elsewhere").path, escape.path, "relative/office"] {
            #expect(throws: WireError.self) { try folders.policy.folder(for: path) }
        }
    }

    @Test func aMissingFolderIsNotFoundAndTheSitesOwnDataIsRefused() throws {
        let folders = try Folders()
        let missing = #expect(throws: WireError.self) { try folders.policy.folder(for: folders.sources.appendingPathComponent("nothing").path) }
        #expect(missing?.code == .notFound)
        let overlapping = SourceFolderPolicy(roots: [folders.root.path], protectedFolders: [folders.data])
        let refused = #expect(throws: WireError.self) { try overlapping.folder(for: folders.root.path) }
        #expect(refused?.message.contains("overlaps") == true)
    }
}
