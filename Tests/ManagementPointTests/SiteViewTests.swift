@testable import ManagementPoint
import Messages
import Synchronization
import Testing

/// Issue 15 item 6: the MP keeps a decoded view of the site, replaced when a snapshot
/// arrives, instead of decoding the stored snapshot for every question.
@Suite("SiteView")
struct SiteViewTests {
    static func snapshot(_ sequence: Int64, content: String = "office") -> SiteSnapshot {
        SiteSnapshot(sequence: sequence, boundaryGroups: [], distributionPoints: [],
                     contents: [LocatableContent(name: content, currentVersionID: String(repeating: "ab", count: 32), distributeOnDemand: false)],
                     deployments: [], collections: [])
    }

    final class Loads: Sendable {
        private let count = Mutex(0)
        func load(_ snapshot: SiteSnapshot?) -> SiteSnapshot? { count.withLock { $0 += 1 }; return snapshot }
        var value: Int { count.withLock { $0 } }
    }

    @Test func theStoredSnapshotIsDecodedOnceThenKept() async throws {
        let view = SiteView()
        let loads = Loads()
        for _ in 0..<5 {
            let index = try await view.index(loading: { loads.load(Self.snapshot(3)) })
            #expect(index?.snapshot.sequence == 3)
        }
        #expect(loads.value == 1)
    }

    @Test func aNewerSnapshotReplacesTheViewAndAnOlderOneDoesNot() async throws {
        let view = SiteView()
        view.replace(with: Self.snapshot(5, content: "five"))
        view.replace(with: Self.snapshot(4, content: "four"))
        #expect(try await view.index(loading: { nil })?.contents["five"] != nil)
        view.replace(with: Self.snapshot(6, content: "six"))
        let index = try await view.index(loading: { Self.snapshot(1) })
        #expect(index?.contents["six"] != nil && index?.contents["five"] == nil)
    }

    @Test func nothingStoredMeansNoView() async throws {
        #expect(try await SiteView().index(loading: { nil }) == nil)
    }

    @Test func theIndexAnswersLikeTheSnapshot() {
        let version = String(repeating: "cd", count: 32)
        let snapshot = SiteSnapshot(sequence: 1, boundaryGroups: [
            BoundaryGroup(name: "b", ranges: [BoundaryRange(subnet: "10.0.0.0/24", firstAddress: nil, lastAddress: nil),
                                              BoundaryRange(subnet: "not a subnet", firstAddress: nil, lastAddress: nil)],
                          members: [BoundaryGroupMember(distributionPoint: "dp2", slow: false)]),
        ], distributionPoints: [LocatableDistributionPoint(name: "dp2", httpURL: "http://x", installedVersions: [version]),
                                LocatableDistributionPoint(name: "dp1", httpURL: "http://y", installedVersions: [])],
            contents: [LocatableContent(name: "c", currentVersionID: version, distributeOnDemand: false)], deployments: [], collections: [])
        let index = SiteIndex(snapshot)
        #expect(index.distributionPoints.map(\.name) == ["dp1", "dp2"])
        #expect(index.installed["dp2"] == [version])
        #expect(index.groups.first?.ranges.count == 1, "an unparsable range is left out, not fatal")
        #expect(index.contents["c"]?.currentVersionID == version)
    }
}
