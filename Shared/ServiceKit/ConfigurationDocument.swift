import Yams

/// A configuration file written from settings values: what ``ConfigurationFile`` reads back.
///
/// A service reads several settings types from one flat file (``CommonSettings`` and its own),
/// so each part is encoded with Yams and the parts' top-level keys are merged. Writing the
/// settings types themselves, not text, means a new setting cannot be left out or misspelt.
public struct ConfigurationDocument {
    private var pairs: [(Node, Node)] = []
    private var comment: String

    /// - Parameter comment: lines written first, each as a YAML comment.
    public init(comment: String = "") {
        self.comment = comment
    }

    /// Adds `settings`' keys. A key an earlier part already set throws: one of the two
    /// would silently be lost.
    public mutating func add(_ settings: some Encodable) throws {
        let text = try YAMLEncoder().encode(settings)
        guard case .mapping(let mapping)? = try Yams.compose(yaml: text) else {
            throw ConfigurationError("\(type(of: settings)) does not encode as a mapping of settings")
        }
        for (key, value) in mapping {
            if pairs.contains(where: { $0.0 == key }) {
                throw ConfigurationError("the setting '\(key.string ?? "?")' is written twice (again by \(type(of: settings)))")
            }
            pairs.append((key, value))
        }
    }

    /// The file's text.
    public func yaml() throws -> String {
        let header = comment.isEmpty ? "" : comment.split(separator: "\n", omittingEmptySubsequences: false).map { "# \($0)\n" }.joined()
        return header + (try Yams.serialize(node: .mapping(Node.Mapping(pairs))))
    }
}
