import Foundation
import Messages

/// How a rate limit spaces the blocks sent to one DP (SPEC T3): a plain rule, so tests
/// state the cases without sockets or clocks.
struct RatePacing {
    /// The largest block the PTM sends in one request when nothing limits it.
    static let unlimitedBlockBytes = 4 * 1024 * 1024

    let limit: RateLimit

    /// How many bytes to send in the next block: pulse mode's block size; otherwise a batch.
    /// A block holds whole chunks, so one chunk larger than this is sent alone.
    var blockBytes: Int {
        switch limit {
        case .unlimited: Self.unlimitedBlockBytes
        case .pulse(let kilobytes, _): kilobytes * 1024
        // Short blocks keep the duty cycle even on a slow link.
        case .hourly: 256 * 1024
        }
    }

    var isLimited: Bool { limit != .unlimited }

    /// How long to wait after a block of `bytes` that took `seconds` to send, sent during
    /// `hour` (0–23, the site's time).
    ///
    /// Pulse mode: a block of N KiB every M seconds measured from the block's start, the wait
    /// scaled to the block's size (blocks hold whole chunks), so the average rate is N KiB / M s
    /// whenever the link is faster. Hourly share p: the seed's sender, t × (100 − p) / p.
    func wait(afterBlockOf bytes: Int, took seconds: Double, hour: Int) -> Double {
        switch limit {
        case .unlimited:
            return 0
        case .pulse(let kilobytes, let delay):
            let period = delay * Double(bytes) / Double(kilobytes * 1024)
            return max(0, period - seconds)
        case .hourly(let percentages):
            let percent = Double(percentages.indices.contains(hour) ? percentages[hour] : 100)
            return seconds * (100 - percent) / percent
        }
    }

    /// The limit in force during `hour`, in words for status lines.
    func description(hour: Int) -> String {
        switch limit {
        case .unlimited: "unlimited"
        case .pulse(let kilobytes, let delay): "\(kilobytes) KiB every \(String(format: "%g", delay)) s"
        case .hourly(let percentages): "at most \(percentages.indices.contains(hour) ? percentages[hour] : 100) % of the link"
        }
    }
}
