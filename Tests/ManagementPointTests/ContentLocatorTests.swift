@testable import ManagementPoint
import Foundation
import Messages
import Testing

@Suite("ContentLocator")
struct ContentLocatorTests {
    static let version = String(repeating: "ab", count: 32)
    static let older = String(repeating: "cd", count: 32)

    /// branch-1 (10.1.0.0/24) prefers dp1 (fast) and dp3 (slow); hq (10.9.0.0/24) prefers dp2.
    /// dp2 and dp4 allow fallback.
    static func snapshot(holding: [String: [String]], onDemand: Bool = false) -> SiteSnapshot {
        SiteSnapshot(
            sequence: 1,
            boundaryGroups: [
                BoundaryGroup(name: "branch-1", ranges: [BoundaryRange(subnet: "10.1.0.0/24", firstAddress: nil, lastAddress: nil)],
                              members: [BoundaryGroupMember(distributionPoint: "dp1", slow: false),
                                        BoundaryGroupMember(distributionPoint: "dp3", slow: true)]),
                BoundaryGroup(name: "hq", ranges: [BoundaryRange(subnet: "10.9.0.0/24", firstAddress: nil, lastAddress: nil)],
                              members: [BoundaryGroupMember(distributionPoint: "dp2", slow: false)]),
            ],
            distributionPoints: ["dp1", "dp2", "dp3", "dp4"].map { name in
                LocatableDistributionPoint(name: name, httpURL: "http://\(name)", installedVersions: holding[name] ?? [],
                                           allowFallback: name == "dp2" || name == "dp4")
            },
            contents: [LocatableContent(name: "app", currentVersionID: version, distributeOnDemand: onDemand)],
            deployments: [], collections: [])
    }

    func locate(_ snapshot: SiteSnapshot, fallback: Bool, version: String? = nil) throws -> ContentLocator.Analysis {
        try ContentLocator(snapshot: snapshot).locate(ContentLocationQuery(content: "app", versionID: version, clientAddress: "10.1.0.7",
                                                                           allowFallback: fallback))
    }

    @Test("preferred DPs holding the version come first, fast before slow; fallback DPs only when asked, always slow")
    func ordering() throws {
        let all = Self.snapshot(holding: ["dp1": [Self.version], "dp2": [Self.version], "dp3": [Self.version], "dp4": [Self.version]])
        let withoutFallback = try locate(all, fallback: false)
        #expect(withoutFallback.points.map(\.name) == ["dp1", "dp3"])
        #expect(withoutFallback.points.map(\.slow) == [false, true])
        let withFallback = try locate(all, fallback: true)
        #expect(withFallback.points.map(\.name) == ["dp1", "dp3", "dp2", "dp4"])
        #expect(withFallback.points.map(\.preferred) == [true, true, false, false])
        #expect(withFallback.points.suffix(2).allSatisfy { $0.slow }, "a DP that is not preferred is always slow, even dp2 which is fast for hq")
        #expect(withFallback.onDemandTargets.isEmpty)
    }

    @Test("a DP that does not allow fallback is never a fallback; a version a DP lacks is never listed")
    func fallbackNeedsTheFlagAndTheVersion() throws {
        let snapshot = Self.snapshot(holding: ["dp2": [Self.older], "dp4": [Self.version], "dp1": [Self.older]])
        let analysis = try locate(snapshot, fallback: true)
        #expect(analysis.points.map(\.name) == ["dp4"])
        let notes = Dictionary(uniqueKeysWithValues: analysis.candidates.map { ($0.name, $0) })
        #expect(notes["dp1"]?.preferred == true && notes["dp1"]?.hasVersion == false)
        #expect(notes["dp2"]?.listed == false && notes["dp2"]?.note.contains("lacks the version") == true)
        #expect(notes["dp3"]?.listed == false)
        let old = try locate(snapshot, fallback: false, version: Self.older)
        #expect(old.points.map(\.name) == ["dp1"], "an explicit version is located, not the current one")
    }

    @Test("on demand: when no preferred DP holds the current version, every preferred DP is a target")
    func onDemandTargets() throws {
        let onlyFallback = Self.snapshot(holding: ["dp4": [Self.version]], onDemand: true)
        #expect(try locate(onlyFallback, fallback: false).onDemandTargets == ["dp1", "dp3"])
        #expect(try locate(onlyFallback, fallback: true).onDemandTargets == ["dp1", "dp3"], "fallback does not stop the trigger")
        let onSlowPreferred = Self.snapshot(holding: ["dp3": [Self.version]], onDemand: true)
        #expect(try locate(onSlowPreferred, fallback: false).onDemandTargets.isEmpty, "a preferred DP has it")
        let off = Self.snapshot(holding: [:], onDemand: false)
        #expect(try locate(off, fallback: true).onDemandTargets.isEmpty)
        let oldVersion = Self.snapshot(holding: [:], onDemand: true)
        #expect(try locate(oldVersion, fallback: false, version: Self.older).onDemandTargets.isEmpty, "only the current version is distributed")
    }

    @Test("bad queries are refused")
    func refusals() throws {
        let snapshot = Self.snapshot(holding: [:])
        #expect(throws: WireError.self) {
            try ContentLocator(snapshot: snapshot).locate(ContentLocationQuery(content: "app", versionID: nil, clientAddress: "10.1.0", allowFallback: false))
        }
        #expect(throws: WireError.self) {
            try ContentLocator(snapshot: snapshot).locate(ContentLocationQuery(content: "nope", versionID: nil, clientAddress: "10.1.0.1", allowFallback: false))
        }
    }
}
