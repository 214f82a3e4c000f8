import Messages

/// The seed's self-tuning DP priority (SPEC C7): a DP is ranked by how long the last
/// transfer to it took, so among contents of equal priority the fastest DPs are served
/// first and more DPs finish sooner.
///
/// A raw duration would rank a DP that last received a small content above one that
/// received a large content over a faster link, so the duration is taken per GiB pushed:
/// the priority is the seconds the last transfer needed for each GiB, at least 1. A
/// transfer that pushed less than ``minimumMeasuredBytes`` (the DP held nearly all of it)
/// says little about the link and leaves the priority as it was. Every new DP shares
/// ``DistributionPointPolicy/defaultPriority`` (100, about 10 MB/s) until it is measured.
enum DistributionPointPriorityMeter {
    static let minimumMeasuredBytes: Int64 = 1 << 20
    static let manualRange = 1...1_000_000

    /// The priority a transfer of `bytes` in `seconds` measures, or nil when it is too small to tell.
    static func measured(seconds: Double, bytes: Int64) -> Int? {
        guard bytes >= minimumMeasuredBytes, seconds.isFinite, seconds >= 0 else { return nil }
        let perGiB = seconds * Double(1 << 30) / Double(bytes)
        return Int(min(Double(manualRange.upperBound), max(1, perGiB.rounded(.up))))
    }

    /// A priority given by hand, or a clear refusal.
    static func validManual(_ priority: Int) throws -> Int {
        guard manualRange.contains(priority) else {
            throw WireError(code: .invalidArgument, message: "a DP priority is a whole number from \(manualRange.lowerBound) to \(manualRange.upperBound) (lower goes first), got \(priority)")
        }
        return priority
    }
}
