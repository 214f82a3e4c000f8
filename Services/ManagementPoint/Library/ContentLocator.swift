import Foundation
import Messages
import ServiceKit

/// Answers "where can this client get this content" from a site snapshot (SPEC M1, M2, C8).
///
/// Preferred DPs are the members of every boundary group whose ranges contain the client's
/// address, with the link speed the group gives them (fast if any of the client's groups
/// says fast). With fallback allowed, DPs flagged "allow fallback" that are not preferred
/// are added, always as slow links. Only DPs holding the version are listed: preferred
/// fast, preferred slow, then fallback, each by name.
struct ContentLocator: Sendable {
    let index: SiteIndex

    init(index: SiteIndex) { self.index = index }

    init(snapshot: SiteSnapshot) { index = SiteIndex(snapshot) }

    /// Everything the MP knows about one request: the answer, and why.
    struct Analysis: Sendable {
        var versionID: String
        var content: LocatableContent
        var candidates: [LocationCandidate]
        var points: [LocatedDistributionPoint]
        /// The client's preferred DPs to distribute to on demand; empty when not applicable.
        var onDemandTargets: [String]

        var answer: Answer { Answer(versionID: versionID, content: content, points: points, onDemandTargets: onDemandTargets) }
    }

    /// What a client is told: the same as an ``Analysis``'s answer, without the candidates.
    struct Answer: Sendable, Equatable {
        var versionID: String
        var content: LocatableContent
        var points: [LocatedDistributionPoint]
        var onDemandTargets: [String]
    }

    /// The answer alone, for agents: only the client's preferred DPs and the DPs allowing
    /// fallback are looked at, and no explanation is written, so a large site costs a few
    /// set lookups per answer instead of a note for every DP. ``analyze`` gives the same
    /// answer with its reasons (tests hold the two together).
    func locate(_ query: ContentLocationQuery) throws -> Answer {
        try answer(content: query.content, versionID: query.versionID, clientAddress: query.clientAddress, allowFallback: query.allowFallback)
    }

    func answer(content name: String, versionID requestedVersion: String?, clientAddress: String, allowFallback: Bool) throws -> Answer {
        let (address, content) = try resolve(content: name, clientAddress: clientAddress)
        let versionID = requestedVersion ?? content.currentVersionID
        // The client's preferred DPs in the order their groups name them, as `analyze` merges them.
        var preferred: [(name: String, groups: [String], slow: Bool)] = []
        var position: [String: Int] = [:]
        for (group, ranges) in index.groups where ranges.contains(where: { $0.contains(address) }) {
            for member in group.members {
                if let at = position[member.distributionPoint] {
                    preferred[at].groups.append(group.name)
                    preferred[at].slow = preferred[at].slow && member.slow
                } else {
                    position[member.distributionPoint] = preferred.count
                    preferred.append((member.distributionPoint, [group.name], member.slow))
                }
            }
        }
        var points: [LocatedDistributionPoint] = []
        var preferredNames: [String] = []
        var aPreferredHasIt = false
        for membership in preferred {
            // A member the snapshot has no DP for is no candidate; a repeated DP is one per entry.
            guard let entries = index.entryCount[membership.name], let point = index.pointsByName[membership.name] else { continue }
            let hasVersion = index.installed[membership.name]?.contains(versionID) ?? false
            aPreferredHasIt = aPreferredHasIt || hasVersion
            for _ in 0..<entries {
                preferredNames.append(membership.name)
                if hasVersion {
                    points.append(LocatedDistributionPoint(name: point.name, httpURL: point.httpURL, preferred: true, slow: membership.slow,
                                                           boundaryGroups: membership.groups))
                }
            }
        }
        if allowFallback {
            for entry in index.fallbackPoints where position[entry.name] == nil {
                guard index.installed[entry.name]?.contains(versionID) ?? false, let point = index.pointsByName[entry.name] else { continue }
                points.append(LocatedDistributionPoint(name: point.name, httpURL: point.httpURL, preferred: false, slow: true, boundaryGroups: []))
            }
        }
        points.sort { ($0.preferred ? 0 : 1, $0.slow ? 1 : 0, $0.name) < ($1.preferred ? 0 : 1, $1.slow ? 1 : 0, $1.name) }
        let onDemand = content.distributeOnDemand && !aPreferredHasIt && versionID == content.currentVersionID ? preferredNames.sorted() : []
        return Answer(versionID: versionID, content: content, points: points, onDemandTargets: onDemand)
    }

    private func resolve(content name: String, clientAddress: String) throws -> (UInt32, LocatableContent) {
        guard let address = AddressRange.parse(clientAddress) else {
            throw WireError(code: .invalidArgument, message: "'\(clientAddress.prefix(64))' is not an IPv4 address")
        }
        guard let content = index.contents[name] else {
            throw WireError(code: .notFound, message: "no content named '\(name)'")
        }
        return (address, content)
    }

    /// The answer with every DP's part in it, for explanations.
    func analyze(content name: String, versionID requestedVersion: String?, clientAddress: String, allowFallback: Bool) throws -> Analysis {
        let (address, content) = try resolve(content: name, clientAddress: clientAddress)
        let versionID = requestedVersion ?? content.currentVersionID
        var preferred: [String: (groups: [String], slow: Bool)] = [:]
        for (group, ranges) in index.groups where ranges.contains(where: { $0.contains(address) }) {
            for member in group.members {
                let existing = preferred[member.distributionPoint]
                preferred[member.distributionPoint] = ((existing?.groups ?? []) + [group.name], (existing?.slow ?? true) && member.slow)
            }
        }
        var candidates: [LocationCandidate] = []
        for point in index.distributionPoints {
            let hasVersion = index.installed[point.name]?.contains(versionID) ?? false
            if let membership = preferred[point.name] {
                let speed = membership.slow ? "slow" : "fast"
                candidates.append(LocationCandidate(
                    name: point.name, preferred: true, boundaryGroups: membership.groups, slow: membership.slow,
                    allowsFallback: point.allowFallback, hasVersion: hasVersion, listed: hasVersion,
                    note: hasVersion ? "preferred (\(membership.groups.joined(separator: ", "))), \(speed) link, holds the version"
                                     : "preferred (\(membership.groups.joined(separator: ", "))), \(speed) link, lacks the version"))
                continue
            }
            let note: String
            let listed: Bool
            switch (point.allowFallback, allowFallback, hasVersion) {
            case (false, _, _):
                (listed, note) = (false, "not preferred for this client and does not allow fallback")
            case (true, false, _):
                (listed, note) = (false, "allows fallback, but this request does not ask for fallback DPs")
            case (true, true, false):
                (listed, note) = (false, "fallback DP (slow), lacks the version")
            case (true, true, true):
                (listed, note) = (true, "fallback DP (always slow), holds the version")
            }
            candidates.append(LocationCandidate(name: point.name, preferred: false, boundaryGroups: [], slow: true,
                                                allowsFallback: point.allowFallback, hasVersion: hasVersion, listed: listed, note: note))
        }
        let points = candidates.filter(\.listed)
            .sorted { ($0.preferred ? 0 : 1, $0.slow ? 1 : 0, $0.name) < ($1.preferred ? 0 : 1, $1.slow ? 1 : 0, $1.name) }
            .compactMap { candidate -> LocatedDistributionPoint? in
                guard let point = index.pointsByName[candidate.name] else { return nil }
                return LocatedDistributionPoint(name: point.name, httpURL: point.httpURL, preferred: candidate.preferred,
                                                slow: candidate.slow, boundaryGroups: candidate.boundaryGroups)
            }
        let preferredNames = candidates.filter(\.preferred).map(\.name)
        let noPreferredHasIt = !candidates.contains { $0.preferred && $0.hasVersion }
        // Only the current version can be distributed; the site refuses others anyway.
        let onDemand = content.distributeOnDemand && noPreferredHasIt && versionID == content.currentVersionID ? preferredNames : []
        return Analysis(versionID: versionID, content: content, candidates: candidates, points: points, onDemandTargets: onDemand)
    }
}
