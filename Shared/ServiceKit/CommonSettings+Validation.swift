public import Foundation
import Logging

extension CommonSettings: ValidatableSettings {
    /// Checks what a YAML decoder cannot: node and data folder not empty, a known log level,
    /// the bus bind endpoint and HTTP port in range, the idle timeout, the advertised URL.
    public func validate(in file: URL) throws {
        let check = SettingsValidator(file: file)
        try check.nonEmpty(node, "node")
        try check.nonEmpty(dataDirectory, "dataDirectory")
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw check.failure("logLevel", "must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got '\(logLevel)'")
        }
        if let logFile { try check.nonEmpty(logFile, "logFile") }
        try check.busEndpoint(bus.bind, "bus.bind")
        try http.validate(with: check)
    }
}

extension HTTPSettings {
    func validate(with check: SettingsValidator) throws {
        try check.nonEmpty(host, "http.host")
        try check.port(port, "http.port")
        if let idleTimeoutSeconds {
            try check.number(idleTimeoutSeconds, in: 0.1...3600, "http.idleTimeoutSeconds", unit: " seconds")
        }
        if let advertisedURL { try check.httpURL(advertisedURL, "http.advertisedURL") }
    }
}

extension PeerSettings {
    /// The peer's endpoint is a `tcp://HOST:PORT` with a port in range; `setting` names it.
    public func validate(with check: SettingsValidator, _ setting: String) throws {
        try check.busEndpoint(endpoint, setting + ".endpoint")
    }
}
