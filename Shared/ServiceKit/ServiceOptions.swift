public import ArgumentParser
public import Foundation

/// The command-line options every service executable takes.
public struct ServiceOptions: ParsableArguments {
    @Option(name: .long, help: "The service's YAML configuration file (or set FERRY_CONFIG).")
    public var config: String?

    @Option(name: .long, help: "Write every bus envelope in and out to this JSON-lines file.")
    public var journal: String?

    @Flag(name: .long, help: "Run the bus without CurveZMQ when the configuration names no key file: anyone who can reach the port can send anything as anyone. For tests only; logs a warning at every start.")
    public var insecureBus = false

    public init() {}

    /// The configuration file, from `--config` or `FERRY_CONFIG`.
    public func configurationFile() throws -> ConfigurationFile {
        guard let path = config ?? ProcessInfo.processInfo.environment["FERRY_CONFIG"] else {
            throw ConfigurationError("no configuration: pass --config FILE or set FERRY_CONFIG")
        }
        return try ConfigurationFile(url: URL(fileURLWithPath: path))
    }
}
