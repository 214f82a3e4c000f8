import Foundation
@testable import ManagementPoint
import ServiceKit
import Testing

/// Issue 14 item 6: every missing file or bad value named plainly, with its file.
@Suite("ManagementPointSettings")
struct ManagementPointSettingsTests {
    static func decode(_ yaml: String) throws -> ManagementPointSettings {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mp-settings-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(yaml.utf8).write(to: url)
        return try ConfigurationFile(url: url, environment: [:]).decode(ManagementPointSettings.self)
    }

    static func message(_ yaml: String) -> String {
        do {
            _ = try decode(yaml)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test("Issue 14: a missing signing key, a bad endpoint or a zero jump is refused naming the setting")
    func badValuesAreNamed() {
        #expect(Self.message("siteSigningKeyFile: /nonexistent/site.key\n").contains("'siteSigningKeyFile'"))
        #expect(Self.message("distributionManager:\n  endpoint: 'nonsense'\n").contains("'distributionManager.endpoint'"))
        #expect(Self.message("maximumSnapshotSequenceJump: 0\n").contains("'maximumSnapshotSequenceJump'"))
        #expect(Self.message("downloadTokenLifetimeSeconds: -5\n").contains("'downloadTokenLifetimeSeconds'"))
    }

    @Test func goodValuesAreAccepted() throws {
        let settings = try Self.decode("maximumSnapshotSequenceJump: 10\ndistributionManager:\n  endpoint: 'tcp://127.0.0.1:7001'\n")
        #expect(settings.maximumSnapshotSequenceJump == 10)
    }
}
