import Messages

/// What to send where: the rule behind `ferry distribute` and on-demand distribution.
///
/// A pure rule over what the site knows (no database, no clock), so tests state the
/// cases directly. Targets come in the order they were named (DPs, then groups, then
/// collections); a DP reached several ways is planned once, under the first way that
/// named it. A DP that holds the version, or is receiving it, is left alone unless the
/// administrator redistributes; a DP whose last transfer failed, or that holds another
/// version, gets the version.
struct DistributionPlanner {
    /// One way a DP was named: `named`, `dp group G`, `collection C (dp group G)`, …
    struct Target: Equatable {
        var distributionPoint: String
        var origin: String
    }

    /// What a DP has of this content now (its target record).
    struct Current: Equatable {
        var versionID: String
        var state: DistributionState
    }

    /// The decision for one request.
    struct Plan: Equatable {
        /// DPs that get a transfer job, with the origin recorded on their target.
        var send: [Target] = []
        var alreadyInstalled: [String] = []
        var alreadyInProgress: [String] = []
    }

    /// - Parameters:
    ///   - versionID: the version to distribute (the content's current one).
    ///   - current: each DP's current target for this content, if it has one.
    ///   - redistribute: copy again even where the DP holds it (SPEC C5).
    static func plan(_ targets: [Target], versionID: String, current: [String: Current], redistribute: Bool) -> Plan {
        var plan = Plan()
        var seen = Set<String>()
        for target in targets where seen.insert(target.distributionPoint).inserted {
            if !redistribute, let existing = current[target.distributionPoint], existing.versionID == versionID {
                switch existing.state {
                case .installed:
                    plan.alreadyInstalled.append(target.distributionPoint)
                    continue
                case .waiting, .inProgress:
                    plan.alreadyInProgress.append(target.distributionPoint)
                    continue
                case .failed:
                    break
                }
            }
            let origin = redistribute ? "\(target.origin), redistributed" : target.origin
            plan.send.append(Target(distributionPoint: target.distributionPoint, origin: origin))
        }
        return plan
    }
}
