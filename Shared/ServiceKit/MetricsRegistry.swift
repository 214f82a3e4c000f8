import Foundation

/// Counters and gauges rendered in Prometheus text format at `/metrics`.
public final class MetricsRegistry: Sendable {
    private let values = Mutex([String: Double]())
    private let help: Mutex<[String: String]> = Mutex([:])

    public init() {}

    public func increment(_ name: String, by amount: Double = 1, labels: [String: String] = [:], help text: String? = nil) {
        let key = Self.key(name, labels)
        values.withLock { $0[key, default: 0] += amount }
        if let text { help.withLock { $0[name] = text } }
    }

    public func set(_ name: String, _ value: Double, labels: [String: String] = [:]) {
        let key = Self.key(name, labels)
        values.withLock { $0[key] = value }
    }

    public func value(_ name: String, labels: [String: String] = [:]) -> Double {
        values.withLock { $0[Self.key(name, labels)] ?? 0 }
    }

    /// The Prometheus exposition text.
    public func render() -> String {
        let snapshot = values.withLock { $0 }
        let helps = help.withLock { $0 }
        var lines: [String] = []
        var described = Set<String>()
        for (key, value) in snapshot.sorted(by: { $0.key < $1.key }) {
            let name = String(key.prefix { $0 != "{" })
            if !described.contains(name), let text = helps[name] {
                lines.append("# HELP \(name) \(text)")
                described.insert(name)
            }
            lines.append("\(key) \(Self.format(value))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 9.0e18 { return String(Int64(value)) }
        return String(value)
    }

    /// Prometheus label values escape backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func key(_ name: String, _ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return name }
        let rendered = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escape($0.value))\"" }.joined(separator: ",")
        return "\(name){\(rendered)}"
    }
}
