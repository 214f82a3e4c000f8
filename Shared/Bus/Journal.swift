import Clocks
import Foundation
import Messages

/// An optional JSON-lines record of every envelope a service sends and receives.
///
/// Each line is `{"at":…,"direction":"in"|"out","frame":<the envelope>}`; `ferry replay`
/// reads it back.
public final class Journal: Sendable {
    public enum Direction: String, Sendable { case incoming = "in", outgoing = "out" }
    private let handle: Mutex<FileHandle>
    private let clock: any ServiceClock
    public let url: URL

    public init(url: URL, clock: any ServiceClock) throws {
        self.clock = clock
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        self.handle = Mutex(handle)
        self.url = url
    }

    public func record(direction: Direction, frame: Data) {
        var line = Data("{\"at\":\"\(clock.now.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))\",\"direction\":\"\(direction.rawValue)\",\"frame\":".utf8)
        // A frame that is not JSON (refused garbage) is kept as a string so the line stays valid.
        if let object = try? JSONSerialization.jsonObject(with: frame) {
            // One envelope per line, even if a peer sent pretty-printed JSON.
            if frame.contains(UInt8(ascii: "\n")),
               let compact = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) {
                line.append(compact)
            } else {
                line.append(frame)
            }
        } else {
            let text = String(decoding: frame.prefix(4096), as: UTF8.self)
            line.append((try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8))
        }
        line.append(Data("}\n".utf8))
        // A full disk must not take the service down with it.
        handle.withLock { try? $0.write(contentsOf: line) }
    }
}
