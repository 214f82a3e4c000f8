import ArgumentParser
import Bus
import Foundation
import ServiceKit

/// `ferry keys`: the key files a service needs on a host of its own.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create the keys a Ferry service needs.",
        subcommands: [GenerateKeysCommand.self, GenerateSiteKeyCommand.self])
}

/// `ferry keys generate --out FILE`: a service's Curve key pair.
struct GenerateKeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Write a new CurveZMQ key pair for a service (bus.keyFile).",
        discussion: """
        Writes FILE (mode 600: publicKey and secretKey, Z85) and prints the public key, which \
        goes into the bus.clients list of every service this one talks to, and into the peer \
        settings (publicKey) of every service that talks to it. An existing FILE is kept unless \
        --force is given.
        """)
    @Option(help: "The key file to write.") var out: String
    @Flag(help: "Replace an existing key file.") var force = false

    func run() async throws {
        let url = URL(fileURLWithPath: out)
        if FileManager.default.fileExists(atPath: url.path) {
            guard force else {
                throw ValidationError("\(url.path) exists; pass --force to replace it (every peer must then learn the new public key)")
            }
        }
        let pair = try CurveKeyPair.generate()
        try pair.write(to: url)
        print(pair.publicKey)
    }
}

/// `ferry keys site --out FILE`: the site's token-signing key pair.
struct GenerateSiteKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site", abstract: "Write a new site token-signing key pair (siteSigningKeyFile, sitePublicKeyFile).",
        discussion: """
        Writes FILE (mode 600, the private key: only the distribution manager and the management \
        point read it) and FILE.pub (the public key DPs and agents check tokens with). An existing \
        FILE is kept unless --force is given: replacing it invalidates every token in use.
        """)
    @Option(help: "The private key file to write; the public key goes to FILE.pub.") var out: String
    @Flag(help: "Replace an existing key.") var force = false

    func run() async throws {
        let url = URL(fileURLWithPath: out)
        if FileManager.default.fileExists(atPath: url.path), !force {
            throw ValidationError("\(url.path) exists; pass --force to replace it (every token it signed stops working)")
        }
        try SiteTokenSigner.generateKeyPair(privateKeyFile: url, publicKeyFile: URL(fileURLWithPath: out + ".pub"))
        print("\(url.path)\n\(url.path).pub")
    }
}
