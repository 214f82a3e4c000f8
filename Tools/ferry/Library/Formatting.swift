import Foundation
import Messages

/// Human output helpers: byte sizes and aligned tables.
enum Formatting {
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    static func percent(_ done: Int64, _ total: Int64) -> String {
        guard total > 0 else { return "100%" }
        return "\(Int((Double(done) / Double(total) * 100).rounded(.down)))%"
    }

    static func targetState(_ target: DistributionTargetStatus) -> String {
        switch target.state {
        case .waiting: "waiting"
        case .inProgress: "in progress \(bytes(target.bytesDone))/\(bytes(target.bytesTotal)) \(percent(target.bytesDone, target.bytesTotal))"
        case .installed: "installed"
        case .failed: "failed: \(target.reason ?? "unknown reason")"
        }
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let data = try EnvelopeCodec.json(value, pretty: true)
        print(String(decoding: data, as: UTF8.self))
    }
}
