import ContentStore
import DistributionManager
import Foundation
import HTTPTransfer
import ServiceKit
import Testing

/// Issue 14 item 4 with real services: the distribution manager's source roots.
extension ClusterTests {
    @Test("Issue 14 item 4: the distribution manager imports only from its source roots; others are refused naming the roots, changing nothing")
    func sourceRootsAreEnforced() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let roots = cluster.root.appendingPathComponent("roots", isDirectory: true)
        let inside = roots.appendingPathComponent("office")
        let outside = cluster.root.appendingPathComponent("elsewhere")
        try SourceFolder.make(at: inside, files: [("setup.exe", 5000)])
        try SourceFolder.make(at: outside, files: [("secret.db", 5000)], seed: 7)
        // A link inside the roots leading out is judged by where it leads.
        try FileManager.default.createSymbolicLink(at: roots.appendingPathComponent("link-out"), withDestinationURL: outside)
        let up = try cluster.ferry(["cluster", "up", "--source-root", roots.path])
        #expect(up.status == 0, "\(up.error)")
        let config = try ConfigurationFile(url: cluster.data.appendingPathComponent("site/config.yaml"), environment: [:])
        #expect(try config.decode(DistributionManagerSettings.self).sourceRoots == [roots.path])

        for refused in [outside.path, roots.appendingPathComponent("link-out").path, inside.path + "/../../elsewhere", "/etc", "/"] {
            let result = try cluster.ferry(["content", "create", "--name", "leak", "--source", refused])
            #expect(result.status != 0, "\(refused) was accepted")
            #expect(result.error.contains("outside the site's source roots") && result.error.contains(roots.path), "\(refused): \(result.error)")
        }
        // Outside the roots, a path that does not exist gets the same answer: nothing is told about it.
        let probe = try cluster.ferry(["content", "create", "--name", "leak", "--source", "/no/such/folder"])
        #expect(probe.error.contains("outside the site's source roots"))
        #expect(try cluster.json(ContentListJSON.self, ["content", "list"]).contents.isEmpty)

        try cluster.ok(["content", "create", "--name", "office", "--source", inside.path])
        let update = try cluster.ferry(["content", "update", "office", "--source", outside.path])
        #expect(update.status != 0 && update.error.contains("outside the site's source roots"))
        let list = try cluster.json(ContentListJSON.self, ["content", "list"])
        #expect(list.contents.map(\.name) == ["office"])
        #expect(list.contents.first?.currentVersion == 1)
    }
}

/// The subset of `ferry content list --json` the tests read.
struct ContentListJSON: Decodable {
    struct Content: Decodable {
        var name: String
        var currentVersion: Int
        var sourcePath: String
    }
    var contents: [Content]
}
