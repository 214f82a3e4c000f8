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
        for (name, value) in services where name != "keys" {
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
        // Issue 14 item 2: the keys are generated on first start, never shipped.
        let keys = try #require(services["keys"] as? [String: Any], "compose.yaml has no keys service")
        #expect((keys["command"] as? [String])?.joined().contains("ferry keys generate") == true)
    }

    /// Issue 14 item 2: compose once shipped every secret key, the site's signing key included.
    @Test("Issue 14: no secret key is committed anywhere in the repository")
    func noSecretKeysCommitted() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-C", Self.root.path, "grep", "-l", "-I", "-e", "secretKey: '", "--", ".", ":!Tests", ":!*.swift", ":!*.md"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let files = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(files.isEmpty, "secret keys committed in: \(files)")
        let tracked = Process()
        tracked.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        tracked.arguments = ["-C", Self.root.path, "ls-files", "*.key", "**/*.key"]
        let listing = Pipe()
        tracked.standardOutput = listing
        try tracked.run()
        tracked.waitUntilExit()
        #expect(String(decoding: listing.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).isEmpty)
    }

    /// Issue 14 item 2: every key a compose service reads is one the keys service makes.
    @Test("Issue 14: every key file the compose configs name is made by the keys service")
    func composeKeysAreGenerated() throws {
        let compose = try #require(try Yams.load(yaml: String(contentsOf: Self.root.appendingPathComponent("compose.yaml"), encoding: .utf8)) as? [String: Any])
        let keys = try #require((compose["services"] as? [String: Any])?["keys"] as? [String: Any])
        let script = (keys["command"] as? [String])?.joined() ?? ""
        let loop = try #require(script.firstMatch(of: /for node in ([a-z0-9 ]+); do/)?.output.1)
        var made = Set(loop.split(separator: " ").flatMap { ["/etc/ferry/keys/\($0).key", "/etc/ferry/keys/\($0).key.pub"] })
        if script.contains("ferry keys site --out /etc/ferry/keys/site-signing.key") {
            made.formUnion(["/etc/ferry/keys/site-signing.key", "/etc/ferry/keys/site-signing.key.pub"])
        }
        let folder = Self.root.appendingPathComponent("deploy/compose")
        var named = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".yaml") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains("allowedClientKeys"), "\(file) still lists bare client keys")
            for match in text.matches(of: /(?:publicKeyFile|keyFile|siteSigningKeyFile|sitePublicKeyFile): '([^']+)'/) {
                named += 1
                #expect(made.contains(String(match.output.1)), "\(file) reads \(match.output.1), which the keys service does not make")
            }
            #expect(!text.contains(/publicKey: '[^']+'/), "\(file) carries an inline key")
        }
        #expect(named > 20)
    }

    /// Issue 14 item 2: a container holds only the secret keys its own service uses.
    @Test("Issue 14: each compose service mounts its own key volume, with only its own secrets")
    func composeServicesHoldOnlyTheirSecrets() throws {
        let compose = try #require(try Yams.load(yaml: String(contentsOf: Self.root.appendingPathComponent("compose.yaml"), encoding: .utf8)) as? [String: Any])
        let services = try #require(compose["services"] as? [String: Any])
        let script = try #require(((services["keys"] as? [String: Any])?["command"] as? [String])?.joined(separator: " "))
        // What the keys service copies into each service's volume: the loop's own key, then
        // the named extras.
        let loop = try #require(script.firstMatch(of: /for node in ([a-z0-9 ]+); do cp [^;]*; cp \/etc\/ferry\/keys\/\$\$node\.key \/srv\/keys\/\$\$node\/;/)?.output.1)
        var secrets: [String: Set<String>] = [:]
        for node in loop.split(separator: " ") { secrets[String(node), default: []].insert("\(node).key") }
        for copy in script.matches(of: /cp ((?:\/etc\/ferry\/keys\/[a-z0-9-]+\.key )+)\/srv\/keys\/([a-z0-9]+)\//) {
            for file in copy.output.1.split(separator: " ") { secrets[String(copy.output.2), default: []].insert(String(file.split(separator: "/").last!)) }
        }
        #expect(secrets["agent1"] == ["agent1.key"])
        #expect(secrets["dp1"] == ["dp1.key"])
        for (name, value) in services where name != "keys" {
            let volumes = (value as? [String: Any])?["volumes"] as? [String] ?? []
            #expect(!volumes.contains { $0.hasPrefix("keys:") }, "\(name) mounts every service's secrets")
            #expect(volumes.contains("keys-\(name):/etc/ferry/keys:ro"), "\(name) does not mount its own key volume")
            let config = try String(contentsOf: Self.root.appendingPathComponent("deploy/compose/\(name).yaml"), encoding: .utf8)
            for match in config.matches(of: /(?:keyFile|siteSigningKeyFile): '\/etc\/ferry\/keys\/([^']+)'/) {
                #expect(secrets[name, default: []].contains(String(match.output.1)), "\(name) reads \(match.output.1), which its volume lacks")
            }
            let depends = (value as? [String: Any])?["depends_on"] as? [String: Any]
            #expect(depends?["keys"] != nil, "\(name) may start before its keys exist")
        }
        #expect(secrets["site"]?.contains("cli.key") == true, "the CLI runs in the site's container")
    }
}
