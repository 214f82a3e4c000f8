public import Foundation
import Crypto
public import Clocks

/// What a site-signed token allows.
public struct SiteTokenClaims: Codable, Sendable, Equatable {
    /// `transfer` (PTM pushes and library reads), `download` (client reads of one version) or
    /// `pull` (a pull DP's reads of one version at its sources).
    public var scope: String
    /// Who the token was issued to: a client's address (download), the PTM's node (transfer).
    public var subject: String
    /// The services that accept it: DP names, or ``SiteTokenClaims/peerCacheAudience``. A
    /// token replayed to any other DP is refused there.
    public var audience: [String]
    /// The content version it opens.
    public var versionID: String?
    public var issuedAt: Date
    public var expiresAt: Date

    /// The scope of a pull DP's token: reads of one version at its sources, the pull DP's
    /// node as subject (SPEC P3, P6).
    public static let pullScope = "pull"

    /// The audience every agent's peer cache accepts.
    public static let peerCacheAudience = "peer-cache"

    public init(scope: String, subject: String, audience: [String], versionID: String? = nil, issuedAt: Date, expiresAt: Date) {
        self.scope = scope
        self.subject = subject
        self.audience = audience
        self.versionID = versionID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}

/// Why a token was refused.
public enum SiteTokenError: Error, CustomStringConvertible, Equatable, Sendable {
    case malformed
    case badSignature
    case expired
    case wrongScope(expected: String)
    case wrongVersion
    case wrongAudience(String)
    case wrongClient(String)

    public var description: String {
        switch self {
        case .malformed: "the token is malformed"
        case .badSignature: "the token is not signed by this site"
        case .expired: "the token has expired"
        case .wrongScope(let expected): "the token is not valid for \(expected)"
        case .wrongVersion: "the token is for another content version"
        case .wrongAudience(let audience): "the token is not valid at \(audience)"
        case .wrongClient(let client): "the token was issued to another client than \(client)"
        }
    }
}

/// Signs tokens with the site's Ed25519 key; only the distribution manager holds it.
public struct SiteTokenSigner: Sendable {
    // Crypto's key types are not Sendable, but a key is immutable once made: keeping it
    // (instead of rebuilding it from its bytes for every token, which cost as much as
    // signing) is safe from any thread.
    private let key: SigningKeyBox
    /// The folder holding the key, which must never be imported as content.
    public let keyFolder: URL

    public init(privateKeyFile: URL) throws {
        keyFolder = privateKeyFile.deletingLastPathComponent()
        let text = try String(contentsOf: privateKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), let parsed = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw ConfigurationError("\(privateKeyFile.path) is not a site signing key")
        }
        key = SigningKeyBox(parsed)
    }

    /// Creates a new site key pair: the private key file (mode 600) and the public key file.
    public static func generateKeyPair(privateKeyFile: URL, publicKeyFile: URL) throws {
        let key = Curve25519.Signing.PrivateKey()
        try FileManager.default.createDirectory(at: privateKeyFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(key.rawRepresentation.base64EncodedString().utf8).write(to: privateKeyFile, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: privateKeyFile.path)
        try Data(key.publicKey.rawRepresentation.base64EncodedString().utf8).write(to: publicKeyFile, options: .atomic)
    }

    /// `base64url(claims JSON) + "." + base64url(signature)`.
    public func sign(_ claims: SiteTokenClaims) throws -> String {
        let payload = try JSONEncoder.tokens.encode(claims)
        let signature = try key.key.signature(for: payload)
        return payload.base64URLEncoded() + "." + signature.base64URLEncoded()
    }
}

/// Checks tokens against the site's public key; DPs hold this.
public struct SiteTokenVerifier: Sendable {
    private let rawKey: Data
    private let clock: any ServiceClock

    /// - Parameter clock: expiry is checked against the service's time.
    public init(publicKeyFile: URL, clock: any ServiceClock) throws {
        self.clock = clock
        let text = try String(contentsOf: publicKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil else {
            throw ConfigurationError("\(publicKeyFile.path) is not a site public key")
        }
        rawKey = raw
    }

    /// Returns the claims if the token is signed by the site, unexpired, of `scope`, and
    /// (where given) for `versionID`, accepted at `audience` and issued to `subject`.
    ///
    /// A token naming no version opens none when a version is asked for.
    public func verify(_ token: String, scope: String, versionID: String? = nil, audience: String? = nil, subject: String? = nil,
                       now: Date? = nil) throws(SiteTokenError) -> SiteTokenClaims {
        let now = now ?? clock.now
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Data(base64URLEncoded: String(parts[0])),
              let signature = Data(base64URLEncoded: String(parts[1])) else { throw .malformed }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawKey),
              key.isValidSignature(signature, for: payload) else { throw .badSignature }
        guard let claims = try? JSONDecoder.tokens.decode(SiteTokenClaims.self, from: payload) else { throw .malformed }
        guard claims.expiresAt > now else { throw .expired }
        guard claims.scope == scope else { throw .wrongScope(expected: scope) }
        if let versionID, claims.versionID != versionID { throw .wrongVersion }
        if let audience, !claims.audience.contains(audience) { throw .wrongAudience(audience) }
        if let subject, claims.subject != subject { throw .wrongClient(subject) }
        return claims
    }

    /// Reads a `Bearer` token from an Authorization header value.
    public static func bearer(_ header: String?) -> String? {
        guard let header, header.hasPrefix("Bearer ") else { return nil }
        return String(header.dropFirst("Bearer ".count))
    }
}

extension JSONEncoder {
    static let tokens: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()
}

extension JSONDecoder {
    static let tokens: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()
}

/// Holds an immutable signing key for ``SiteTokenSigner``.
final class SigningKeyBox: @unchecked Sendable {
    let key: Curve25519.Signing.PrivateKey
    init(_ key: Curve25519.Signing.PrivateKey) { self.key = key }
}

extension Data {
    func base64URLEncoded() -> String {
        // One pass over the bytes: three string replacements cost more than the signature.
        var bytes = Array(base64EncodedString().utf8)
        while bytes.last == UInt8(ascii: "=") { bytes.removeLast() }
        for index in bytes.indices {
            if bytes[index] == UInt8(ascii: "+") { bytes[index] = UInt8(ascii: "-") } else if bytes[index] == UInt8(ascii: "/") { bytes[index] = UInt8(ascii: "_") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
