import Bus
import DistributionManager
@testable import FerryCLI
import Foundation
import ManagementPoint
import MulticastAgent
import PackageTransferManager
import PullDP
import ServiceKit
import Testing

/// Issue 15 item 7: `ferry cluster up` writes each service's configuration by encoding the
/// service's own settings types, and the files decode back to the same settings.
@Suite("Cluster configuration files")
struct ClusterConfigurationTests {
    @Test("issue 15 item 7: every file cluster up writes decodes, with the service's own loader, to the settings it was encoded from",
          arguments: [false, true])
    func configurationFilesDecodeToTheirSettings(testbed: Bool) throws {
        // Quotes, colons and a hash in the path: YAML must quote them, which text interpolation had to do by hand.
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-config-\(UUID().uuidString.prefix(8)) it's: a #cluster", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: root) }
        var manager = ClusterManager(layout: ClusterLayout(root: root),
                                     testbed: testbed ? .init(subnets: 2, agentsPerSubnet: 1) : nil, log: { _ in })
        manager.sourceRoots = [root.path]
        let description = try manager.create()
        let cliKey = try CurveKeyPair.load(from: manager.layout.cliKeyFile.path).publicKey
        #expect(Set(description.services.map(\.service)).count == 5)
        for service in description.services {
            let expected = try manager.configuration(for: service, in: description, cliKey: cliKey)
            let file = try ConfigurationFile(url: manager.layout.configFile(of: service.node), environment: [:])
            #expect(try file.decode(CommonSettings.self) == expected.common, "\(service.node)")
            switch expected.specific {
            case .distributionManager(let settings): #expect(try file.decode(DistributionManagerSettings.self) == settings)
            case .packageTransferManager(let settings): #expect(try file.decode(PackageTransferManagerSettings.self) == settings)
            case .managementPoint(let settings): #expect(try file.decode(ManagementPointSettings.self) == settings)
            case .pullDP(let settings): #expect(try file.decode(PullDPSettings.self) == settings)
            case .multicastAgent(let settings):
                #expect(try file.decode(MulticastAgentSettings.self) == settings, "\(service.node)")
                #expect(settings.multicast?.rateMegabitsPerSecond == (testbed ? 300 : nil))
                #expect(settings.peerCaching == testbed)
            }
        }
    }
}
