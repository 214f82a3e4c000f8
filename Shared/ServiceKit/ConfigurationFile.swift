public import Foundation
import Yams

/// A service's YAML configuration file with environment overrides applied.
///
/// Any top-level key can be overridden by an environment variable `FERRY_<KEY>` with the key
/// in upper snake case (`dataDirectory` → `FERRY_DATA_DIRECTORY`); the value is parsed as YAML,
/// so numbers and booleans keep their types.
public struct ConfigurationFile: Sendable {
    public let url: URL
    private let yaml: String

    /// Reads `url`; a missing or unreadable file, or a file that is not a YAML mapping, throws
    /// a ``ConfigurationError`` naming it.
    public init(url: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.url = url
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ConfigurationError("configuration file \(url.path) does not exist")
        }
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigurationError("cannot read configuration file \(url.path): \(error.localizedDescription)")
        }
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw ConfigurationError("configuration file \(url.path) is not valid YAML: \(error)")
        }
        guard var mapping = loaded as? [String: Any] else {
            throw ConfigurationError("configuration file \(url.path) must be a YAML mapping of settings")
        }
        // Overrides may also add a setting the file leaves out.
        for (variable, override) in environment where variable.hasPrefix("FERRY_") {
            let key = Self.camelCase(String(variable.dropFirst("FERRY_".count)))
            guard !key.isEmpty else { continue }
            mapping[key] = (try? Yams.load(yaml: override)) ?? override
        }
        yaml = (try? Yams.dump(object: mapping)) ?? text
    }

    /// Decodes the settings as `T`; a missing or mistyped setting throws a ``ConfigurationError``
    /// naming the setting.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try YAMLDecoder().decode(T.self, from: yaml)
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw ConfigurationError("\(url.path): missing setting '\(path)'")
        } catch let DecodingError.typeMismatch(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError("\(url.path): setting '\(path)' has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError("\(url.path): setting '\(path)' is invalid: \(context.debugDescription)")
        } catch {
            throw ConfigurationError("\(url.path): \(error)")
        }
    }

    static func camelCase(_ upperSnake: String) -> String {
        let words = upperSnake.lowercased().split(separator: "_")
        guard let first = words.first else { return "" }
        return String(first) + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    static func upperSnake(_ key: String) -> String {
        var result = ""
        for character in key {
            if character.isUppercase, !result.isEmpty { result.append("_") }
            result.append(contentsOf: character.uppercased())
        }
        return result
    }
}

/// A configuration problem, said in one line.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
