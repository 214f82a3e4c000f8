public import Foundation
public import Bus
import Messages

/// Settings every Ferry service has.
public struct CommonSettings: Codable, Sendable, Equatable {
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

    public init(node: String, dataDirectory: String, logFile: String? = nil, logLevel: String? = nil, bus: BusSettings,
                http: HTTPSettings, journal: String? = nil) {
        self.node = node
        self.dataDirectory = dataDirectory
        self.logFile = logFile
        self.logLevel = logLevel
        self.bus = bus
        self.http = http
        self.journal = journal
    }

    public var dataURL: URL { URL(fileURLWithPath: dataDirectory, isDirectory: true) }
}

/// Where the service's inbox listens, which keys it uses and which clients it accepts.
public struct BusSettings: Codable, Sendable, Equatable {
    /// e.g. `tcp://127.0.0.1:7001`; port 0 picks a free port.
    public var bind: String
    /// A YAML file with `publicKey` and `secretKey` (Z85), made by `ferry keys generate`.
    /// Required: a service without one refuses to start unless run with `--insecure-bus`.
    public var keyFile: String?
    /// Every client this service accepts: its node, its role (which decides what it may
    /// send) and its public key. Nobody else can connect.
    public var clients: [KnownPeer]?

    public init(bind: String, keyFile: String?, clients: [KnownPeer]?) {
        self.bind = bind
        self.keyFile = keyFile
        self.clients = clients
    }

    enum CodingKeys: String, CodingKey {
        case bind, keyFile, clients
        case allowedClientKeys
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // The old key list gave no roles: accepting it would authorize nobody, silently.
        guard !container.contains(.allowedClientKeys) else {
            throw ConfigurationError("bus.allowedClientKeys is no longer read: list each client under bus.clients with its node, role (\(PeerRole.allCases.map(\.rawValue).joined(separator: ", "))) and publicKey")
        }
        bind = try container.decode(String.self, forKey: .bind)
        keyFile = try container.decodeIfPresent(String.self, forKey: .keyFile)
        clients = try container.decodeIfPresent([KnownPeer].self, forKey: .clients)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bind, forKey: .bind)
        try container.encodeIfPresent(keyFile, forKey: .keyFile)
        try container.encodeIfPresent(clients, forKey: .clients)
    }
}

/// Where the service's HTTP endpoint (health, metrics, data) listens.
public struct HTTPSettings: Codable, Sendable, Equatable {
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

    public init(host: String, port: Int, advertisedURL: String? = nil, idleTimeoutSeconds: Double? = nil) {
        self.host = host
        self.port = port
        self.advertisedURL = advertisedURL
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }
}

/// How to reach another service's inbox.
public struct PeerSettings: Codable, Sendable, Equatable {
    public var endpoint: String
    /// The peer's Curve public key; required when this service has a key file.
    public var publicKey: String?
    /// Or the file holding it (`FILE.pub` from `ferry keys generate`), read at start.
    public var publicKeyFile: String?

    public init(endpoint: String, publicKey: String?, publicKeyFile: String? = nil) {
        self.endpoint = endpoint
        self.publicKey = publicKey
        self.publicKeyFile = publicKeyFile
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

    /// Writes the key pair as YAML readable only by its owner, and the public key alone to
    /// `FILE.pub` (what peers' configurations may point at with `publicKeyFile`).
    public func write(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let text = "publicKey: '\(publicKey)'\nsecretKey: '\(secretKey)'\n"
        // Created private: the secret is never readable by others, not even for a moment.
        let temporary = url.path + ".tmp"
        try? FileManager.default.removeItem(atPath: temporary)
        let created = FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        guard created, rename(temporary, url.path) == 0 else { throw ConfigurationError("cannot write \(url.path)") }
        try Data("\(publicKey)\n".utf8).write(to: URL(fileURLWithPath: url.path + ".pub"), options: .atomic)
    }

    /// The public key a setting gives inline or in a file (a bare Z85 line, or a key YAML).
    ///
    /// - Parameter setting: the setting's name, for the error.
    public static func publicKey(inline: String?, file: String?, setting: String) throws -> String? {
        if inline != nil, file != nil {
            throw ConfigurationError("\(setting): give publicKey or publicKeyFile, not both")
        }
        if let inline { return inline }
        guard let file else { return nil }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ConfigurationError("\(setting).publicKeyFile: cannot read \(file)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if isValid(trimmed) { return trimmed }
        if let pair = try? load(from: file) { return pair.publicKey }
        throw ConfigurationError("\(setting).publicKeyFile: \(file) holds no 40-character Z85 public key")
    }
}
