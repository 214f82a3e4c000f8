import Foundation
import Logging
import ServiceKit
import Testing

@Suite("FileLogHandler")
struct FileLogHandlerTests {
    /// Logs through a real sink into a file and returns the file's lines.
    static func lines(_ body: (Logger) -> Void) throws -> [String] {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = folder.file("service.log")
        let sink = try LogSink(fileURL: url, echoToStandardOutput: false, clock: SystemClock())
        body(sink.logger(label: "dp1"))
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    @Test("Issue 14 item 5: a newline or control character in a value or message cannot forge a second log line")
    func controlCharactersAreEscaped() throws {
        let forged = "agent1\n2026-12-02 04:00:00.000 INFO  [mp] site snapshot applied sequence=99"
        let lines = try Self.lines { logger in
            logger.info("status from \(forged)", metadata: [
                "detail": "\(forged)", "content": "office\r\nsuite", "bell": "a\u{07}b\u{1B}[31m", "nel": "x\u{85}y\u{2028}z"])
        }
        #expect(lines.count == 1, "\(lines)")
        let line = try #require(lines.first)
        #expect(line.contains(#"status from agent1\n2026-12-02"#))
        #expect(line.contains(#"detail="agent1\n2026-12-02 04:00:00.000 INFO  [mp] site snapshot applied sequence=99""#))
        #expect(line.contains(#"content=office\r\nsuite"#))
        #expect(line.contains(#"bell=a\u{7}b\u{1b}[31m"#))
        #expect(line.contains(#"nel=x\u{85}y\u{2028}z"#))
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 })
    }

    @Test("Issue 14 item 5: a quote in a value cannot end its field early and forge another key")
    func quotesAreEscaped() throws {
        let lines = try Self.lines { logger in
            logger.warning("refused", metadata: ["reason": #"bad" dp=dp9 x="1"#, "path": #"C:\temp"#, "empty": ""])
        }
        let line = try #require(lines.first)
        #expect(lines.count == 1)
        #expect(line.contains(#"reason="bad\" dp=dp9 x=\"1""#))
        #expect(line.contains(#"path="C:\\temp""#))
        #expect(line.contains(#"empty="""#))
        #expect(line.hasSuffix(#"reason="bad\" dp=dp9 x=\"1""#))
    }

    @Test("plain values stay as they were: key=value, quoted only with a space")
    func plainValuesUnchanged() throws {
        let lines = try Self.lines { logger in
            logger.info("imported folder", metadata: ["files": "3", "source": "/tmp/a b"])
        }
        let line = try #require(lines.first)
        #expect(line.hasSuffix(#"[dp1] imported folder files=3 source="/tmp/a b""#))
    }
}
