import Foundation
import Messages

/// The names administrators give contents, groups and collections.
enum ContentName {
    /// `name` trimmed, if it is 1–128 letters, digits, spaces, '.', '_' or '-'.
    static func valid(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._- "))
        guard !trimmed.isEmpty, trimmed.count <= 128, trimmed.unicodeScalars.allSatisfy(allowed.contains) else {
            throw WireError(code: .invalidArgument,
                            message: "invalid content name '\(name)': use 1-128 letters, digits, spaces, '.', '_' or '-'")
        }
        return trimmed
    }
}
