/// Every failure the content store reports. Each case renders as one line an administrator can act on.
public enum ContentStoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A path that could leave the content root or is not a usable relative path:
    /// "..", absolute, empty, NUL, or a symbolic link leading out of the root.
    case unsafePath(String, reason: String)
    /// Bytes whose SHA-256 is not the one they were announced or stored under.
    case hashMismatch(expected: String, actual: String)
    /// A chunk the operation needs is not in the store.
    case missingChunk(String)
    /// A manifest that cannot be decoded or breaks a manifest rule.
    case malformedManifest(String)
    /// A folder that should exist and be a directory does not, or is something else.
    case notADirectory(String)
    /// A content hash that is not 64 lowercase hexadecimal characters.
    case invalidHash(String)
    /// A source file that changed while it was read (size, modification or status-change time
    /// differed after reading it), so its bytes cannot be trusted to be one version of it.
    case sourceChanged(String)
    /// An operating-system error (open, read, write, rename, …), with the path and the reason.
    case io(String)

    public var description: String {
        switch self {
        case let .unsafePath(path, reason):
            return "unsafe path \(Self.quoted(path)): \(reason)"
        case let .hashMismatch(expected, actual):
            return "content hash mismatch: expected \(expected), got \(actual)"
        case let .missingChunk(hash):
            return "chunk \(hash) is missing from the content store"
        case let .malformedManifest(message):
            return "malformed manifest: \(message)"
        case let .notADirectory(path):
            return "not a directory: \(Self.quoted(path))"
        case let .invalidHash(hash):
            return "invalid content hash \(Self.quoted(hash)) (expected 64 lowercase hexadecimal characters)"
        case let .sourceChanged(path):
            return "source file \(Self.quoted(path)) changed while it was read; import it again once nothing writes to it"
        case let .io(message):
            return "I/O error: \(message)"
        }
    }

    /// Quotes a path for a log line, escaping control characters (a NUL or newline stays visible on one line).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
