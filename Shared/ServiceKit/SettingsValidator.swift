public import Foundation

/// Checks one configuration file's values and says what is wrong in one line naming the file
/// and the setting: `FILE: setting 'http.port' must be …, got 99999`.
public struct SettingsValidator: Sendable {
    public let file: URL

    public init(file: URL) { self.file = file }

    /// An error naming the file and `setting`.
    public func failure(_ setting: String, _ problem: String) -> ConfigurationError {
        ConfigurationError("\(file.path): setting '\(setting)' \(problem)")
    }

    /// A TCP port: 0 (a free one is picked) to 65535.
    public func port(_ value: Int, _ setting: String) throws {
        guard (0...65535).contains(value) else {
            throw failure(setting, "must be a port between 0 and 65535 (0 picks a free port), got \(value)")
        }
    }

    /// A number within `range`.
    public func number(_ value: Double, in range: ClosedRange<Double>, _ setting: String, unit: String = "") throws {
        guard value.isFinite, range.contains(value) else {
            throw failure(setting, "must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound))\(unit), got \(Self.format(value))")
        }
    }

    /// A whole number within `range`.
    public func number(_ value: Int, in range: ClosedRange<Int>, _ setting: String, unit: String = "") throws {
        guard range.contains(value) else {
            throw failure(setting, "must be between \(range.lowerBound) and \(range.upperBound)\(unit), got \(value)")
        }
    }

    /// Text that is not empty (nor only spaces).
    public func nonEmpty(_ value: String, _ setting: String) throws {
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw failure(setting, "must not be empty") }
    }

    /// A file that exists, is a regular file (after links) and this process may read.
    public func readableFile(_ path: String, _ setting: String) throws {
        try nonEmpty(path, setting)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw failure(setting, "names the file \(path), which does not exist")
        }
        guard !isDirectory.boolValue else { throw failure(setting, "names \(path), which is a folder, not a file") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw failure(setting, "names the file \(path), which this process may not read")
        }
    }

    /// An absolute path to a folder that exists.
    public func existingFolder(_ path: String, _ setting: String) throws {
        guard path.hasPrefix("/") else { throw failure(setting, "must be an absolute path, got '\(path)'") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw failure(setting, "names the folder \(path), which does not exist")
        }
        guard isDirectory.boolValue else { throw failure(setting, "names \(path), which is not a folder") }
    }

    /// A ZeroMQ endpoint: `tcp://HOST:PORT` with a port in range (`*` binds every address),
    /// or `ipc:///ABSOLUTE/PATH` for services on one host (a Unix socket; no port to pick).
    public func busEndpoint(_ value: String, _ setting: String) throws {
        if value.hasPrefix("ipc://") {
            let path = value.dropFirst("ipc://".count)
            // Linux limits a Unix socket path to 107 bytes.
            guard path.hasPrefix("/"), path.utf8.count <= 107, !path.contains("\0") else {
                throw failure(setting, "must be an endpoint like tcp://127.0.0.1:7001 or ipc:///run/ferry/site.bus (an absolute path of at most 107 bytes), got '\(value)'")
            }
            return
        }
        guard value.hasPrefix("tcp://"), let colon = value.lastIndex(of: ":"), colon > value.index(value.startIndex, offsetBy: 5) else {
            throw failure(setting, "must be an endpoint like tcp://127.0.0.1:7001, got '\(value)'")
        }
        let host = value[value.index(value.startIndex, offsetBy: 6)..<colon]
        guard !host.isEmpty, let port = Int(value[value.index(after: colon)...]) else {
            throw failure(setting, "must be an endpoint like tcp://127.0.0.1:7001, got '\(value)'")
        }
        try self.port(port, setting + " (its port)")
    }

    /// An `http://` or `https://` URL with a host and, if given, a port in range.
    public func httpURL(_ value: String, _ setting: String) throws {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw failure(setting, "must be an http:// URL like http://127.0.0.1:8001, got '\(value)'")
        }
        if let port = url.port { try self.port(port, setting + " (its port)") }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
