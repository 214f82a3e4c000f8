public import Clocks
public import Foundation
public import Logging

/// Writes one readable line per log event to a file and to stdout.
///
/// Line shape: `2026-11-22 20:31:02.123 INFO  [node] message key=value …`, so an
/// administrator can read and grep it like the seed's distmgr.log / pkgxfermgr.log.
public struct FileLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let sink: LogSink

    public init(label: String, sink: LogSink) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.sorted { $0.key < $1.key }.map { "\(Self.escaped($0.key))=\(Self.quote("\($0.value)"))" }
        let level = event.level.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)
        var line = "\(sink.timestamp()) \(level) [\(Self.escaped(label))] \(Self.escaped("\(event.message)"))"
        if !fields.isEmpty { line += " " + fields.joined(separator: " ") }
        sink.write(line + "\n")
    }

    /// A metadata value as it appears after `key=`: control characters escaped (so it cannot
    /// forge a second line), and in double quotes (with `"` and `\` escaped) when it holds a
    /// space, a quote or a backslash, or is empty.
    static func quote(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "\\" }
        guard needsQuotes else { return escaped(value) }
        return "\"" + escaped(value, quoting: true) + "\""
    }

    /// `text` on one line: newline, carriage return and tab as `\n`, `\r`, `\t`, every other
    /// control character (C0, DEL, C1, and the Unicode line and paragraph separators) as
    /// `\u{XX}`. With `quoting`, `"` and `\` are escaped too.
    static func escaped(_ text: String, quoting: Bool = false) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
        }
        guard text.unicodeScalars.contains(where: { isControl($0) || (quoting && ($0 == "\"" || $0 == "\\")) }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"" where quoting: out += "\\\""
            case "\\" where quoting: out += "\\\\"
            default:
                if isControl(scalar) {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// The destination of a process's log lines: an optional file plus stdout.
public final class LogSink: Sendable {
    private let file: Mutex<FileHandle?>
    private let echo: Bool
    private let clock: any ServiceClock

    /// - Parameter clock: log lines carry the service's time, so a test's manual clock shows in them.
    public init(fileURL: URL?, echoToStandardOutput: Bool = true, clock: any ServiceClock) throws {
        self.clock = clock
        var handle: FileHandle?
        if let fileURL {
            try FileManager.default.createDirectory(at: fileURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: fileURL.path) {
                _ = FileManager.default.createFile(atPath: fileURL.path, contents: nil)
            }
            handle = try FileHandle(forWritingTo: fileURL)
            handle?.seekToEndOfFile()
        }
        file = Mutex(handle)
        echo = echoToStandardOutput
    }

    func write(_ line: String) {
        let data = Data(line.utf8)
        file.withLock { try? $0?.write(contentsOf: data) }
        if echo { try? FileHandle.standardOutput.write(contentsOf: data) }
    }

    func timestamp() -> String {
        let now = clock.now
        var time = time_t(now.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&time, &parts)
        let milliseconds = Int(now.timeIntervalSince1970 * 1000) % 1000
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%03d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, milliseconds)
    }
}

extension LogSink {
    /// A logger writing to this sink at `level`.
    public func logger(label: String, level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: label) { [self] label in FileLogHandler(label: label, sink: self) }
        logger.logLevel = level
        return logger
    }
}
