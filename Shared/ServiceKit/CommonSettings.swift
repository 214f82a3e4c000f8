public import Foundation
public import Bus

/// Settings every Ferry service has.
public struct CommonSettings: Codable, Sendable {
    /// This instance's name (`site`, `dp1`…): the envelope sender and the log's node.
    public var node: String
    /// The folder holding the service's database, stores and endpoints file.
    public var dataDirectory: String
    /// The service's readable log file; stdout gets the same lines.
    public var logFile: String?
    public var logLevel: String?
    public var bus: BusSettings
    public var http: HTTPSettings
    /// A JSON-lines file recording every envelope in and out.
    public var journal: String?

    public var dataURL: URL { URL(fileURLWithPath: dataDirectory, isDirectory: true) }
}

/// Where the service's inbox listens and which keys it uses.
public struct BusSettings: Codable, Sendable {
    /// e.g. `tcp://127.0.0.1:7001`; port 0 picks a free port.
    public var bind: String
    /// A YAML file with `publicKey` and `secretKey` (Z85); omit to run without CurveZMQ.
    public var keyFile: String?
    /// Client public keys this service accepts.
    public var allowedClientKeys: [String]?
}

/// Where the service's HTTP endpoint (health, metrics, data) listens.
public struct HTTPSettings: Codable, Sendable {
    public var host: String
    /// 0 picks a free port.
    public var port: Int
    /// The URL other hosts use to reach this server, when it differs from host:port (a
    /// container bound to 0.0.0.0, say).
    public var advertisedURL: String?
    /// Seconds a connection may sit without sending a complete request head (a half-open or
    /// trickled request), or idle between requests, before the server closes it; a response
    /// being written is never cut. Default ``defaultIdleTimeoutSeconds``.
    public var idleTimeoutSeconds: Double?

    /// 30 seconds.
    public static let defaultIdleTimeoutSeconds: Double = 30
}

/// How to reach another service's inbox.
public struct PeerSettings: Codable, Sendable {
    public var endpoint: String
    /// The peer's Curve public key; required when this service has a key file.
    public var publicKey: String?

    public init(endpoint: String, publicKey: String?) {
        self.endpoint = endpoint
        self.publicKey = publicKey
    }
}

extension CurveKeyPair {
    /// Loads a key pair from a YAML file written by `ferry cluster up` or `ferry keys generate`.
    public static func load(from path: String) throws -> CurveKeyPair {
        let pair = try ConfigurationFile(url: URL(fileURLWithPath: path), environment: [:]).decode(CurveKeyPair.self)
        guard isValid(pair.publicKey), isValid(pair.secretKey) else {
            throw ConfigurationError("\(path): keys must be 40-character Z85 strings")
        }
        return pair
    }

    /// Writes the key pair as YAML readable only by its owner.
    public func write(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let text = "publicKey: '\(publicKey)'\nsecretKey: '\(secretKey)'\n"
        try Data(text.utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }
}
