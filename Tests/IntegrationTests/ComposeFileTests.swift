import Foundation
import Testing
import Yams

/// compose.yaml cannot run here (no Docker engine), so check that it describes the real cluster.
@Suite("compose.yaml")
struct ComposeFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("every service runs a product of Package.swift with a config file that exists")
    func servicesAreProducts() throws {
        let compose = try String(contentsOf: Self.root.appendingPathComponent("compose.yaml"), encoding: .utf8)
        let package = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let products = Set(package.matches(of: /\.executable\(name: "([^"]+)"/).map { String($0.output.1) })
        #expect(products.isSuperset(of: ["distribution-manager", "package-transfer-manager", "management-point", "pull-dp", "multicast-agent", "ferry"]))
        let document = try #require(try Yams.load(yaml: compose) as? [String: Any])
        let services = try #require(document["services"] as? [String: Any])
        #expect(services.count >= 5)
        var seen = Set<String>()
        for (name, value) in services {
            let service = try #require(value as? [String: Any], "\(name)")
            let command: [String]
            if let list = service["command"] as? [String] {
                command = list
            } else {
                command = (service["command"] as? String ?? "").split(separator: " ").map(String.init)
            }
            let executable = try #require(command.first, "\(name) has no command")
            #expect(products.contains(executable), "\(name) runs \(executable), which Package.swift does not build")
            seen.insert(executable)
            if let index = command.firstIndex(of: "--config"), index + 1 < command.count {
                let inContainer = command[index + 1]
                let volumes = service["volumes"] as? [String] ?? []
                let mapped = volumes.compactMap { volume -> String? in
                    let parts = volume.split(separator: ":").map(String.init)
                    guard parts.count >= 2, inContainer.hasPrefix(parts[1]) else { return nil }
                    return parts[0] + inContainer.dropFirst(parts[1].count)
                }.first
                let local = try #require(mapped, "\(name): no volume provides \(inContainer)")
                #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(local).path), "\(name): \(local) is missing")
            } else {
                Issue.record("\(name) names no --config file")
            }
        }
        #expect(seen.isSuperset(of: ["distribution-manager", "package-transfer-manager", "management-point", "pull-dp", "multicast-agent"]))
        #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("deploy/Dockerfile").path))
    }
}
