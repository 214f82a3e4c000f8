import Foundation
import Messages
import ServiceKit

/// A site snapshot decoded once, with the lookups a content-location answer needs: a
/// content by name, a DP's installed versions as a set, each boundary group's ranges parsed.
///
/// Built when a snapshot arrives (or at the first question after a restart), never per
/// question: decoding a large site's snapshot for every answer cost tens of milliseconds.
struct SiteIndex: Sendable {
    let snapshot: SiteSnapshot
    let contents: [String: LocatableContent]
    /// DPs by name, sorted by name.
    let distributionPoints: [LocatableDistributionPoint]
    let installed: [String: Set<String>]
    let pointsByName: [String: LocatableDistributionPoint]
    let groups: [(group: BoundaryGroup, ranges: [AddressRange])]
    /// How many entries of ``distributionPoints`` carry each name (a snapshot may repeat one).
    let entryCount: [String: Int]
    /// The entries of ``distributionPoints`` that allow fallback, in the same order.
    let fallbackPoints: [LocatableDistributionPoint]

    init(_ snapshot: SiteSnapshot) {
        self.snapshot = snapshot
        contents = Dictionary(snapshot.contents.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        distributionPoints = snapshot.distributionPoints.sorted { $0.name < $1.name }
        installed = Dictionary(snapshot.distributionPoints.map { ($0.name, Set($0.installedVersions)) }, uniquingKeysWith: { first, _ in first })
        pointsByName = Dictionary(snapshot.distributionPoints.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        groups = snapshot.boundaryGroups.map { group in (group, group.ranges.compactMap(Self.parse)) }
        entryCount = snapshot.distributionPoints.reduce(into: [:]) { $0[$1.name, default: 0] += 1 }
        fallbackPoints = distributionPoints.filter(\.allowFallback)
    }

    static func parse(_ range: BoundaryRange) -> AddressRange? {
        if let subnet = range.subnet { return try? AddressRange(subnet: subnet) }
        if let first = range.firstAddress, let last = range.lastAddress { return try? AddressRange(first: first, last: last) }
        return nil
    }
}

/// The MP's current ``SiteIndex``, replaced when a newer snapshot is applied.
final class SiteView: Sendable {
    private let current = Mutex<SiteIndex?>(nil)

    /// The index, loading it with `load` the first time (after a restart).
    func index(loading load: () async throws -> SiteSnapshot?) async throws -> SiteIndex? {
        if let index = current.withLock({ $0 }) { return index }
        guard let snapshot = try await load() else { return nil }
        let index = SiteIndex(snapshot)
        return current.withLock { held in
            // A snapshot applied meanwhile is newer than the one read from the database.
            if let held, held.snapshot.sequence >= index.snapshot.sequence { return held }
            held = index
            return index
        }
    }

    /// The index if one is loaded; nil before the first question after a restart.
    var loaded: SiteIndex? { current.withLock { $0 } }

    /// Takes a newly applied snapshot; an older one (commits can finish out of order) is ignored.
    func replace(with snapshot: SiteSnapshot) {
        let index = SiteIndex(snapshot)
        current.withLock { held in
            if let held, held.snapshot.sequence >= snapshot.sequence { return }
            held = index
        }
    }
}
