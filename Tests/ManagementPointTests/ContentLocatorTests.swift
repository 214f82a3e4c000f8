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

    /// The analysis an explanation shows, after checking that an agent's answer is the same.
    func locate(_ snapshot: SiteSnapshot, fallback: Bool, version: String? = nil) throws -> ContentLocator.Analysis {
        let locator = ContentLocator(snapshot: snapshot)
        let analysis = try locator.analyze(content: "app", versionID: version, clientAddress: "10.1.0.7", allowFallback: fallback)
        let answer = try locator.locate(ContentLocationQuery(content: "app", versionID: version, clientAddress: "10.1.0.7", allowFallback: fallback))
        #expect(answer == analysis.answer, "an agent is told what an explanation shows")
        return analysis
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
        #expect(throws: WireError.self) {
            try ContentLocator(snapshot: snapshot).analyze(content: "app", versionID: nil, clientAddress: "10.1.0", allowFallback: false)
        }
        #expect(throws: WireError.self) {
            try ContentLocator(snapshot: snapshot).analyze(content: "nope", versionID: nil, clientAddress: "10.1.0.1", allowFallback: false)
        }
    }

    /// A small deterministic generator, so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("the answer alone equals the explained answer on random sites: overlapping groups, repeated and unknown DPs, both versions")
    func theFastAnswerIsTheExplainedOne() throws {
        var random = SplitMix(state: 15)
        let versions = [Self.version, Self.older, String(repeating: "ef", count: 32)]
        let subnets = ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.0.0/16"]
        for _ in 0..<300 {
            // Names from a small pool, so a snapshot may list a DP twice or a group name one it lacks.
            let names = (0..<Int.random(in: 0...7, using: &random)).map { _ in "dp\(Int.random(in: 1...6, using: &random))" }
            let points = names.map { name in
                LocatableDistributionPoint(name: name, httpURL: "http://\(name)/\(Int.random(in: 0...9, using: &random))",
                                           installedVersions: versions.filter { _ in Bool.random(using: &random) },
                                           allowFallback: Bool.random(using: &random))
            }
            let groups = (0..<Int.random(in: 0...4, using: &random)).map { index in
                BoundaryGroup(name: "g\(index)",
                              ranges: (0..<Int.random(in: 0...2, using: &random)).map { _ in
                                  Bool.random(using: &random)
                                      ? BoundaryRange(subnet: subnets.randomElement(using: &random), firstAddress: nil, lastAddress: nil)
                                      : BoundaryRange(subnet: nil, firstAddress: "10.0.1.5", lastAddress: "10.0.2.9")
                              },
                              members: (0..<Int.random(in: 0...3, using: &random)).map { _ in
                                  BoundaryGroupMember(distributionPoint: "dp\(Int.random(in: 1...7, using: &random))", slow: Bool.random(using: &random))
                              })
            }
            let snapshot = SiteSnapshot(sequence: 1, boundaryGroups: groups, distributionPoints: points,
                                        contents: [LocatableContent(name: "app", currentVersionID: Self.version,
                                                                    distributeOnDemand: Bool.random(using: &random))],
                                        deployments: [], collections: [])
            let locator = ContentLocator(snapshot: snapshot)
            for address in ["10.0.0.7", "10.0.1.7", "10.0.2.7", "10.0.3.7", "10.9.9.9"] {
                for version in [nil] + versions {
                    for fallback in [false, true] {
                        let explained = try locator.analyze(content: "app", versionID: version, clientAddress: address, allowFallback: fallback)
                        let answer = try locator.locate(ContentLocationQuery(content: "app", versionID: version, clientAddress: address,
                                                                             allowFallback: fallback))
                        #expect(answer == explained.answer, "\(snapshot) \(address) \(version ?? "current") fallback \(fallback)")
                    }
                }
            }
        }
    }
}
