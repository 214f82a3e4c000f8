import ContentStore
import Foundation
import HTTPTransfer
import ServiceKit
import Testing

extension ClusterTests {
    @Test("Issue 14 item 5: a DP's error bodies are valid JSON whatever the message holds")
    func errorBodiesAreJSON() async throws {
        let cluster = try ClusterFixture()
        defer { cluster.tearDown() }
        let source = cluster.root.appendingPathComponent("source")
        try SourceFolder.make(at: source, files: [("tool.exe", 1000)])
        try cluster.up()
        let created = try cluster.json(VersionJSON.self, ["content", "create", "--name", "tool", "--source", source.path])
        try cluster.ok(["distribute", "tool", "--dp", "dp1"])
        #expect(try cluster.ferry(["status", "tool", "--wait", "--timeout", "60"]).status == 0)
        let dp = try cluster.service("dp1").http
        // The file name (quote, backslash, newline, tab) comes back in the 404's message.
        let name = "we\"ird\\name\nwith\ttab.exe"
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        let response = try await HTTPClient.shared.get("\(dp)/content/\(created.version.versionID)/files/\(encoded)",
                                                       options: try cluster.download(created.version.versionID))
        #expect(response.status == 404)
        let object = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: String],
                                  "not JSON: \(String(decoding: response.body, as: UTF8.self))")
        #expect(object["error"]?.contains(name) == true)
    }
}
