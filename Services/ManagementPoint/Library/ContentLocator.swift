import Foundation
import Messages
import ServiceKit

/// Answers "where can this client get this content" from a site snapshot (SPEC M1, M2).
///
/// Preferred DPs are the members of every boundary group whose ranges contain the client's
/// address; only those holding the version are listed, fast links before slow, then by
/// name. Fallback DPs arrive with the fallback issue; until then `allowFallback` adds none.
struct ContentLocator: Sendable {
    let snapshot: SiteSnapshot

    func locate(_ query: ContentLocationQuery) throws -> (versionID: String, points: [LocatedDistributionPoint]) {
        guard let address = AddressRange.parse(query.clientAddress) else {
            throw WireError(code: .invalidArgument, message: "'\(query.clientAddress.prefix(64))' is not an IPv4 address")
        }
        guard let content = snapshot.contents.first(where: { $0.name == query.content }) else {
            throw WireError(code: .notFound, message: "no content named '\(query.content)'")
        }
        let versionID = query.versionID ?? content.currentVersionID
        var byName: [String: LocatedDistributionPoint] = [:]
        for group in snapshot.boundaryGroups where Self.covers(group, address) {
            for member in group.members {
                guard let point = snapshot.distributionPoints.first(where: { $0.name == member.distributionPoint }),
                      point.installedVersions.contains(versionID) else { continue }
                if var existing = byName[point.name] {
                    // In several of the client's groups: fast if any of them says fast.
                    existing.slow = existing.slow && member.slow
                    existing.boundaryGroups.append(group.name)
                    byName[point.name] = existing
                } else {
                    byName[point.name] = LocatedDistributionPoint(name: point.name, httpURL: point.httpURL, preferred: true,
                                                                  slow: member.slow, boundaryGroups: [group.name])
                }
            }
        }
        let points = byName.values.sorted { ($0.slow ? 1 : 0, $0.name) < ($1.slow ? 1 : 0, $1.name) }
        return (versionID, points)
    }

    static func covers(_ group: BoundaryGroup, _ address: UInt32) -> Bool {
        group.ranges.contains { range in
            let parsed: AddressRange?
            if let subnet = range.subnet {
                parsed = try? AddressRange(subnet: subnet)
            } else if let first = range.firstAddress, let last = range.lastAddress {
                parsed = try? AddressRange(first: first, last: last)
            } else {
                parsed = nil
            }
            return parsed?.contains(address) ?? false
        }
    }
}
