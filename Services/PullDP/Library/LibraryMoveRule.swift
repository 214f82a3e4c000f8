import Foundation

/// Whether a DP's library may move to a folder (SPEC C11): a pure rule over paths and sizes.
enum LibraryMoveRule {
    /// Why the move is refused, or nil when it may start.
    ///
    /// - Parameters:
    ///   - targetEntries: the names in the target folder; nil when it does not exist.
    ///   - freeBytes: free space where the target is (its nearest existing parent); nil: unknown.
    static func refusal(current: String, target: String, targetEntries: [String]?, libraryBytes: Int64, freeBytes: Int64?) -> String? {
        guard target.hasPrefix("/") else { return "'\(target)' is not an absolute folder" }
        let from = normalized(current), to = normalized(target)
        if from == to { return "the library is already in \(from)" }
        if to.hasPrefix(from + "/") { return "\(to) is inside the current library \(from)" }
        if from.hasPrefix(to + "/") { return "the current library \(from) is inside \(to)" }
        if let entries = targetEntries, !entries.isEmpty { return "\(to) is not empty" }
        if let freeBytes, freeBytes < libraryBytes + libraryBytes / 20 {
            return "\(to) has \(freeBytes) bytes free; the library needs \(libraryBytes) and 5 % more"
        }
        return nil
    }

    static func normalized(_ path: String) -> String {
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
        return standardized.count > 1 && standardized.hasSuffix("/") ? String(standardized.dropLast()) : standardized
    }
}
