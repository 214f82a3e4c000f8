/// Why content could not be fetched, in words for logs, `ferry status` and agent reports.
public enum ContentTransferError: Error, Sendable, CustomStringConvertible {
    /// The source answered an HTTP status other than 200 or 404.
    case refused(source: ContentSourceID, status: Int, what: String, body: String)
    /// The request did not complete (connection, timeout).
    case unreachable(source: ContentSourceID, what: String, reason: String)
    /// The source does not hold what was asked for.
    case notHeld(source: ContentSourceID, what: String)
    /// The bytes did not hash to the chunk's or version's id; nothing was kept.
    case corrupt(source: ContentSourceID, what: String, reason: String)
    /// The destination (a store, a push) would not take a verified chunk.
    case notStored(chunk: String, reason: String)
    /// No source gave everything; one line per source tried.
    case exhausted(what: String, failures: [String])

    public var description: String {
        switch self {
        case .refused(let source, let status, let what, let body):
            return "\(source) answered HTTP \(status) for \(what)" + (body.isEmpty ? "" : ": \(body)")
        case .unreachable(let source, let what, let reason):
            return "\(source) could not be asked for \(what): \(reason)"
        case .notHeld(let source, let what):
            return "\(source) answered HTTP 404 for \(what)"
        case .corrupt(let source, let what, let reason):
            return "\(source) served a corrupt \(what): \(reason)"
        case .notStored(let chunk, let reason):
            return "chunk \(chunk.prefix(12)) was not stored: \(reason)"
        case .exhausted(let what, let failures):
            return "no source gave \(what) (\(failures.joined(separator: "; ")))"
        }
    }
}
