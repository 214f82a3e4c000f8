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

    init(decoding error: DecodingError, type: String) {
        switch error {
        case .keyNotFound(let key, let context):
            // Paths are shown relative to the body; a missing body itself is named "body".
            let full = (context.codingPath + [key]).map(\.stringValue)
            let path = full.count > 1 && full.first == "body" ? Array(full.dropFirst()) : full
            self.init(code: .missingField, message: "\(type): missing field '\(path.joined(separator: "."))'")
        case .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).filter { $0 != "body" }
            self.init(code: .missingField, message: "\(type): missing value for '\(path.joined(separator: "."))'")
        case .typeMismatch(_, let context):
            let path = context.codingPath.map(\.stringValue).filter { $0 != "body" }
            self.init(code: .malformed, message: "\(type): wrong type for '\(path.joined(separator: "."))'")
        case .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).filter { $0 != "body" }
            let detail = context.debugDescription
            self.init(code: .malformed, message: "\(type): invalid '\(path.joined(separator: "."))': \(detail)")
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
    case unavailable = "unavailable"
    case internalError = "internal-error"
}
