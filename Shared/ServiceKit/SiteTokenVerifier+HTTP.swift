public import Hummingbird

/// Why an HTTP request's token was refused, with the response to send.
public struct TokenRefusal: Error, Sendable {
    /// `no-token` or `bad-token`, for metrics labels.
    public let reason: String
    public let message: String
    public let status: HTTPResponse.Status

    public var response: Response { HTTPResponses.error(status, message) }
}

extension SiteTokenVerifier {
    /// Checks a request's `Authorization: Bearer` token for `scope` (and, where given,
    /// `versionID`, `audience` and the client `subject` it must have been issued to): the
    /// claims when accepted, else 401 without a token or 403 with a bad one.
    public func check(_ request: Request, scope: String, versionID: String? = nil, audience: String? = nil,
                      subject: String? = nil) -> Result<SiteTokenClaims, TokenRefusal> {
        guard let token = Self.bearer(request.headers[.authorization]) else {
            let message = scope == "download" ? "a download token from the management point is required" : "a site \(scope) token is required"
            return .failure(TokenRefusal(reason: "no-token", message: message, status: .unauthorized))
        }
        do {
            return .success(try verify(token, scope: scope, versionID: versionID, audience: audience, subject: subject))
        } catch {
            return .failure(TokenRefusal(reason: "bad-token", message: error.description, status: .forbidden))
        }
    }
}
