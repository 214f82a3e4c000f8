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
    /// Settings that are ``ValidatableSettings`` are also checked (ports, ranges, files), so a
    /// service refuses a bad value at start naming the setting and the file.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let value = try decodeUnchecked(T.self)
        if let checked = value as? any ValidatableSettings { try checked.validate(in: url) }
        return value
    }

    private func decodeUnchecked<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try YAMLDecoder().decode(T.self, from: yaml)
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw ConfigurationError("\(url.path): missing setting '\(path)'")
        } catch let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError("\(url.path): setting '\(path)' has no value")
        } catch let DecodingError.typeMismatch(expected, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError("\(url.path): setting '\(path)' has the wrong type (expected \(Self.typeName(expected)))")
        } catch let DecodingError.dataCorrupted(context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError("\(url.path): setting '\(path)' is invalid: \(context.debugDescription)")
        } catch {
            throw ConfigurationError("\(url.path): \(error)")
        }
    }

    /// "a number", "text"… for a type a setting should have.
    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt16.Type: return "a whole number"
        case is Double.Type, is Float.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "text"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "a mapping" }
            return "a mapping of settings"
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

/// Settings that check their values beyond their types once decoded (``ConfigurationFile/decode(_:)``
/// calls it).
public protocol ValidatableSettings {
    /// Throws a ``ConfigurationError`` naming `file`, the setting and what it must be.
    func validate(in file: URL) throws
}

/// A configuration problem, said in one line.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
