public import Foundation
import Bus
import ServiceKit
import Yams

/// The files of a local cluster under its data folder.
///
/// `DIR/cluster.yaml` lists every service; each service has `DIR/<node>/` with its
/// `config.yaml`, database, store, log and pid file; keys live in `DIR/keys/`.
public struct ClusterLayout: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    public var clusterFile: URL { root.appendingPathComponent("cluster.yaml") }
    public var keysFolder: URL { root.appendingPathComponent("keys", isDirectory: true) }
    public var cliKeyFile: URL { keysFolder.appendingPathComponent("cli.key") }
    public var siteSigningKey: URL { keysFolder.appendingPathComponent("site-signing.key") }
    public var siteSigningPublicKey: URL { keysFolder.appendingPathComponent("site-signing.key.pub") }

    public func folder(of node: String) -> URL { root.appendingPathComponent(node, isDirectory: true) }
    public func configFile(of node: String) -> URL { folder(of: node).appendingPathComponent("config.yaml") }
    public func pidFile(of node: String) -> URL { folder(of: node).appendingPathComponent("pid") }
    public func outputFile(of node: String) -> URL { folder(of: node).appendingPathComponent("stdout.log") }
    public func keyFile(of node: String) -> URL { keysFolder.appendingPathComponent("\(node).key") }

    public var exists: Bool { FileManager.default.fileExists(atPath: clusterFile.path) }

    public func readDescription() throws -> ClusterDescription {
        guard exists else {
            throw ConfigurationError("no cluster at \(root.path): run 'ferry cluster up --data \(root.path)' first")
        }
        return try ConfigurationFile(url: clusterFile, environment: [:]).decode(ClusterDescription.self)
    }

    func write(_ description: ClusterDescription) throws {
        let text = try YAMLEncoder().encode(description)
        try Data(text.utf8).write(to: clusterFile, options: .atomic)
    }
}

/// What `cluster.yaml` records: every service and how the CLI reaches the site.
public struct ClusterDescription: Codable, Sendable {
    public var services: [ClusterService]
    public var createdAt: Date

    public func service(_ node: String) -> ClusterService? { services.first { $0.node == node } }

    /// The distribution manager: the CLI's single entry point to the site.
    public var site: ClusterService? { services.first { $0.service == "distribution-manager" } }
}

extension ClusterService {
    /// The service's Curve public key, inline or from its file.
    public func serverKey() throws -> String {
        let inline = publicKey.isEmpty ? nil : publicKey
        guard let key = try CurveKeyPair.publicKey(inline: inline, file: publicKeyFile, setting: "\(node) in cluster.yaml") else {
            throw ConfigurationError("cluster.yaml gives \(node) no publicKey or publicKeyFile")
        }
        return key
    }
}

/// One service process of a local cluster.
public struct ClusterService: Codable, Sendable {
    public var node: String
    /// The executable's name (a product of Package.swift).
    public var service: String
    public var busEndpoint: String
    public var httpURL: String
    public var publicKey: String
    /// Or the file holding it, when the keys are made where the services run (compose).
    public var publicKeyFile: String?
    public var logFile: String
    /// The network namespace it runs in (the test bed); nil: this host's.
    public var namespace: String?

    public init(node: String, service: String, busEndpoint: String, httpURL: String, publicKey: String, logFile: String, namespace: String? = nil) {
        self.node = node
        self.service = service
        self.busEndpoint = busEndpoint
        self.httpURL = httpURL
        self.publicKey = publicKey
        self.logFile = logFile
        self.namespace = namespace
    }
}
