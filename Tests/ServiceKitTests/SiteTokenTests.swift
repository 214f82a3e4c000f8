import Foundation
import ServiceKit
import Testing

@Suite("SiteToken")
struct SiteTokenTests {
    struct Site {
        let folder: TemporaryFolder
        let signer: SiteTokenSigner
        let verifier: SiteTokenVerifier

        init(_ folder: TemporaryFolder, name: String = "site") throws {
            self.folder = folder
            let privateKey = folder.file("\(name)/signing.key")
            let publicKey = folder.file("\(name)/signing.pub")
            try SiteTokenSigner.generateKeyPair(privateKeyFile: privateKey, publicKeyFile: publicKey)
            signer = try SiteTokenSigner(privateKeyFile: privateKey)
            verifier = try SiteTokenVerifier(publicKeyFile: publicKey, clock: SystemClock())
        }
    }

    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func claims(scope: String = "transfer", versionID: String? = nil, expiresIn: TimeInterval = 3600) -> SiteTokenClaims {
        SiteTokenClaims(scope: scope, subject: "ptm", audience: ["dp1"], versionID: versionID, issuedAt: now, expiresAt: now.addingTimeInterval(expiresIn))
    }

    static func refusal(_ body: () throws(SiteTokenError) -> SiteTokenClaims) -> SiteTokenError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func signedTokenVerifies() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let site = try Site(folder)
        let claims = Self.claims(versionID: "v1")
        let token = try site.signer.sign(claims)
        #expect(try site.verifier.verify(token, scope: "transfer", now: Self.now) == claims)
        #expect(try site.verifier.verify(token, scope: "transfer", versionID: "v1", now: Self.now) == claims)
        // URL-safe: usable in headers and query strings as is.
        #expect(!token.contains("+") && !token.contains("/") && !token.contains("="))
        #expect(token.split(separator: ".").count == 2)
    }

    @Test func privateKeyFileIsOwnerOnly() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        _ = try Site(folder)
        let permissions = try FileManager.default.attributesOfItem(atPath: folder.file("site/signing.key").path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test func expiredTokenIsRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let site = try Site(folder)
        let token = try site.signer.sign(Self.claims(expiresIn: 60))
        #expect(Self.refusal { () throws(SiteTokenError) in try site.verifier.verify(token, scope: "transfer", now: Self.now.addingTimeInterval(61)) } == .expired)
        #expect(Self.refusal { () throws(SiteTokenError) in try site.verifier.verify(token, scope: "transfer", now: Self.now.addingTimeInterval(60)) } == .expired,
                "expiresAt itself is already too late")
        #expect(Self.refusal { () throws(SiteTokenError) in try site.verifier.verify(token, scope: "transfer", now: Self.now.addingTimeInterval(59)) } == nil)
    }

    @Test func wrongScopeIsRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let site = try Site(folder)
        let token = try site.signer.sign(Self.claims(scope: "download", versionID: "v1"))
        #expect(Self.refusal { () throws(SiteTokenError) in try site.verifier.verify(token, scope: "transfer", now: Self.now) }
                == .wrongScope(expected: "transfer"))
    }

    @Test func wrongVersionIsRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let site = try Site(folder)
        let token = try site.signer.sign(Self.claims(scope: "download", versionID: "v1"))
        #expect(Self.refusal { () throws(SiteTokenError) in try site.verifier.verify(token, scope: "download", versionID: "v2", now: Self.now) }
                == .wrongVersion)
    }

    @Test func tamperedPayloadIsRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let site = try Site(folder)
        let token = try site.signer.sign(Self.claims(scope: "download", versionID: "v1"))
        let parts = token.split(separator: ".").map(String.init)
        // Re-encode the payload with a widened scope, keeping the original signature.
        let payload = try #require(Self.base64URLDecode(parts[0]))
        var object = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        object["scope"] = "transfer"
        let forged = Self.base64URLEncode(try JSONSerialization.data(withJSONObject: object, options: .sortedKeys)) + "." + parts[1]
        #expect(Self.refusal { () throws(SiteTokenError) in try site.verifier.verify(forged, scope: "transfer", now: Self.now) } == .badSignature)
        // A flipped character in the signature, too.
        var signature = Array(parts[1])
        signature[5] = signature[5] == "A" ? "B" : "A"
        let flipped = parts[0] + "." + String(signature)
        #expect(Self.refusal { () throws(SiteTokenError) in try site.verifier.verify(flipped, scope: "download", now: Self.now) } == .badSignature)
    }

    @Test func tokenFromAnotherKeyPairIsRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let site = try Site(folder, name: "site")
        let other = try Site(folder, name: "other")
        let token = try other.signer.sign(Self.claims())
        #expect(Self.refusal { () throws(SiteTokenError) in try site.verifier.verify(token, scope: "transfer", now: Self.now) } == .badSignature)
        #expect(Self.refusal { () throws(SiteTokenError) in try other.verifier.verify(token, scope: "transfer", now: Self.now) } == nil)
    }

    @Test("malformed tokens are refused", arguments: ["", "abc", "a.b.c", "!!!.###", "only-one-part", "....", "e30.%%%"])
    func malformedTokens(token: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let site = try Site(folder)
        let error = Self.refusal { () throws(SiteTokenError) in try site.verifier.verify(token, scope: "transfer", now: Self.now) }
        #expect(error == .malformed, "\(token): \(String(describing: error))")
    }

    @Test func aSignedPayloadThatIsNotClaimsIsMalformed() throws {
        // Only a real signature over junk reaches the claims decoder; signing junk needs the private key,
        // so check the order instead: an unsigned junk payload is refused before decoding.
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let site = try Site(folder)
        let junk = Self.base64URLEncode(Data("not json".utf8)) + "." + Self.base64URLEncode(Data(repeating: 1, count: 64))
        #expect(Self.refusal { () throws(SiteTokenError) in try site.verifier.verify(junk, scope: "transfer", now: Self.now) } == .badSignature)
    }

    @Test func keyFilesThatAreNotKeysAreRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let bad = try folder.write("bad.key", "this is not base64!")
        #expect(throws: ConfigurationError.self) { try SiteTokenSigner(privateKeyFile: bad) }
        #expect(throws: ConfigurationError.self) { try SiteTokenVerifier(publicKeyFile: bad, clock: SystemClock()) }
        let short = try folder.write("short.key", Data(repeating: 7, count: 5).base64EncodedString())
        #expect(throws: ConfigurationError.self) { try SiteTokenSigner(privateKeyFile: short) }
        #expect(throws: ConfigurationError.self) { try SiteTokenVerifier(publicKeyFile: short, clock: SystemClock()) }
        #expect(throws: (any Error).self) { try SiteTokenVerifier(publicKeyFile: folder.file("missing.pub"), clock: SystemClock()) }
    }

    @Test func bearerHeaderParsing() {
        #expect(SiteTokenVerifier.bearer("Bearer abc.def") == "abc.def")
        #expect(SiteTokenVerifier.bearer("bearer abc.def") == nil)
        #expect(SiteTokenVerifier.bearer("Basic abc") == nil)
        #expect(SiteTokenVerifier.bearer(nil) == nil)
    }

    @Test func errorDescriptionsSayWhy() {
        #expect(SiteTokenError.expired.description.contains("expired"))
        #expect(SiteTokenError.wrongScope(expected: "transfer").description.contains("transfer"))
        #expect(SiteTokenError.badSignature.description.contains("signed"))
    }

    static func base64URLEncode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
