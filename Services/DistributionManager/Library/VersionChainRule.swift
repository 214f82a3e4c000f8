/// The seed's version rule (SPEC C3): at most five incremental versions on top of a full
/// version; the sixth change makes a new full version, and once every target holds it the
/// versions before it are retired.
///
/// Here a full version still moves only what a DP lacks (deltas and chunk reuse stay); what
/// it resets is what the site and the DPs keep.
struct VersionChainRule: Sendable {
    /// The seed's number of increments on top of a full version.
    static let seedIncrements = 5

    let incrementsPerFull: Int

    init(incrementsPerFull: Int = VersionChainRule.seedIncrements) {
        self.incrementsPerFull = incrementsPerFull
    }

    /// A version of a content as the rule sees it.
    struct Version: Equatable, Sendable {
        var number: Int
        var chainPosition: Int
    }

    /// The chain position of the version after one at `previous` (nil: the content's first).
    func position(after previous: Int?) -> Int {
        guard let previous, previous < incrementsPerFull else { return 0 }
        return previous + 1
    }

    /// The versions to retire: every version before the newest full version, once every
    /// target has installed that full version or a later one.
    ///
    /// - Parameters:
    ///   - targetsHolding: for each target DP of the content, the newest version number it
    ///     has installed (nil: none yet). No targets: nothing waits, the older versions go.
    ///   - pinned: version numbers a deployment still names; they stay until it is replaced.
    func retirable(_ versions: [Version], targetsHolding: [Int?], pinned: Set<Int>) -> [Int] {
        guard let full = versions.filter({ $0.chainPosition == 0 }).map(\.number).max(),
              versions.contains(where: { $0.number < full }) else { return [] }
        guard targetsHolding.allSatisfy({ ($0 ?? 0) >= full }) else { return [] }
        return versions.map(\.number).filter { $0 < full && !pinned.contains($0) }.sorted()
    }
}
