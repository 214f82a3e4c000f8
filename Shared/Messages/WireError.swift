import Foundation

/// Why a frame or request was refused; sent back as an ``ErrorReply``.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(code: ErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// A coding path relative to the body; the body itself, when it is what is wrong, is "body".
    static func path(_ codingPath: [any CodingKey]) -> String {
        let full = codingPath.map(\.stringValue)
        let relative = full.count > 1 && full.first == "body" ? Array(full.dropFirst()) : full
        return relative.joined(separator: ".")
    }

    init(decoding error: DecodingError, type: String) {
        switch error {
        case .keyNotFound(let key, let context):
            // Paths are shown relative to the body; a missing body itself is named "body".
            self.init(code: .missingField, message: "\(type): missing field '\(Self.path(context.codingPath + [key]))'")
        case .valueNotFound(_, let context):
            self.init(code: .missingField, message: "\(type): missing value for '\(Self.path(context.codingPath))'")
        case .typeMismatch(_, let context):
            self.init(code: .malformed, message: "\(type): wrong type for '\(Self.path(context.codingPath))'")
        case .dataCorrupted(let context):
            self.init(code: .malformed, message: "\(type): invalid '\(Self.path(context.codingPath))': \(context.debugDescription)")
        @unknown default:
            self.init(code: .malformed, message: "\(type): \(error)")
        }
    }
}

/// The typed reasons a receiver gives when it refuses something.
public enum ErrorCode: String, Codable, Sendable, CaseIterable {
    case malformed = "malformed-json"
    case unknownType = "unknown-type"
    case unsupportedVersion = "unsupported-version"
    case oversizedFrame = "oversized-frame"
    case missingField = "missing-field"
    case invalidArgument = "invalid-argument"
    case notFound = "not-found"
    case conflict = "conflict"
    case unauthorized = "unauthorized"
    /// The authenticated peer's role may not send this message, or it spoke for another node.
    case notAuthorized = "not-authorized"
    case unavailable = "unavailable"
    case internalError = "internal-error"
}
