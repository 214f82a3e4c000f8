import Foundation

/// What a client does with a content location answer (SPEC M2, M3, M4).
///
/// One rule, used by the agent to act and by the management point to explain, so
/// `ferry locate --agent` always says what the agent then does.
public struct LocationDecision: Codable, Sendable, Equatable {
    public static let example = LocationDecision(kind: .download, distributionPoints: ["dp1"], reason: "dp1 is preferred and fast")

    public enum Kind: String, Codable, Sendable {
        /// Download from the first of `distributionPoints` that works.
        case download
        /// No usable DP yet; the site is distributing to the client's preferred DPs. The
        /// client reports "content not available" and picks it up at its next retry.
        case waitForOnDemandDistribution = "wait-for-on-demand-distribution"
        /// No usable DP; the client reports "content not available" and retries.
        case contentNotAvailable = "content-not-available"
    }

    public var kind: Kind
    /// The DPs to try, in order (empty unless `kind` is download).
    public var distributionPoints: [String]
    /// Why, in one sentence an administrator can act on.
    public var reason: String

    public init(kind: Kind, distributionPoints: [String], reason: String) {
        self.kind = kind
        self.distributionPoints = distributionPoints
        self.reason = reason
    }

    /// Preferred DPs come first in an answer; slow ones (every fallback DP is slow) are used
    /// only when the deployment downloads over slow links. Without a download token (a
    /// management point with no signing key) nothing can be downloaded.
    public static func decide(_ reply: ContentLocationReply, allowFallback: Bool, slowNetwork: SlowNetworkBehavior,
                              hasToken: Bool) -> LocationDecision {
        let usable = reply.distributionPoints.filter { !$0.slow || slowNetwork == .download }
        let skipped = reply.distributionPoints.filter { $0.slow && slowNetwork == .doNotDownload }
        if !usable.isEmpty, !hasToken {
            return LocationDecision(kind: .contentNotAvailable, distributionPoints: [],
                                    reason: "the management point hands out no download token (it has no site signing key configured)")
        }
        if let first = usable.first {
            let role = first.preferred ? "preferred" : "a fallback DP"
            return LocationDecision(kind: .download, distributionPoints: usable.map(\.name),
                                    reason: "\(first.name) is \(role) with a \(first.slow ? "slow" : "fast") link and holds the version")
        }
        var why: String
        if skipped.isEmpty {
            why = allowFallback ? "neither a preferred DP nor a fallback DP holds the version"
                                : "no preferred DP holds the version and the deployment does not allow fallback"
        } else {
            why = "only \(skipped.map(\.name).joined(separator: ", ")) hold\(skipped.count == 1 ? "s" : "") the version, over a slow link, "
                + "and the deployment does not download on slow links"
        }
        if !reply.onDemandDistribution.isEmpty {
            why += "; the site is distributing it on demand to \(reply.onDemandDistribution.joined(separator: ", "))"
            return LocationDecision(kind: .waitForOnDemandDistribution, distributionPoints: [], reason: why)
        }
        return LocationDecision(kind: .contentNotAvailable, distributionPoints: [], reason: why)
    }
}

/// Asks the management point to explain a content location answer without acting on it.
///
/// Give an agent (its address and its deployment's fallback and slow-network settings are
/// used) or an address (then `allowFallback` and `slowNetwork` say what to assume).
/// Nothing is triggered: no on-demand distribution, no token.
public struct LocationExplainQuery: Message {
    public static let wireName = "location.explain"
    public static let summary = "What the MP would answer an agent or address now, and why; replies location.explanation. Changes nothing."
    public static let example = LocationExplainQuery(content: "office", agent: "agent1", clientAddress: nil, allowFallback: nil, slowNetwork: nil)
    public var content: String
    public var agent: String?
    public var clientAddress: String?
    public var allowFallback: Bool?
    public var slowNetwork: SlowNetworkBehavior?
    public init(content: String, agent: String?, clientAddress: String?, allowFallback: Bool?, slowNetwork: SlowNetworkBehavior?) {
        self.content = content
        self.agent = agent
        self.clientAddress = clientAddress
        self.allowFallback = allowFallback
        self.slowNetwork = slowNetwork
    }
}

/// One DP of the site, as the management point sees it for one client and version.
public struct LocationCandidate: Codable, Sendable, Equatable {
    public static let example = LocationCandidate(name: "dp2", preferred: false, boundaryGroups: [], slow: true, allowsFallback: true,
                                                  hasVersion: true, listed: true, note: "fallback DP holding the version")
    public var name: String
    /// In one of the client's boundary groups.
    public var preferred: Bool
    public var boundaryGroups: [String]
    /// The link speed the client would see (non-preferred DPs are always slow).
    public var slow: Bool
    public var allowsFallback: Bool
    public var hasVersion: Bool
    /// In the answer the client gets.
    public var listed: Bool
    public var note: String
    public init(name: String, preferred: Bool, boundaryGroups: [String], slow: Bool, allowsFallback: Bool, hasVersion: Bool, listed: Bool,
                note: String) {
        self.name = name
        self.preferred = preferred
        self.boundaryGroups = boundaryGroups
        self.slow = slow
        self.allowsFallback = allowsFallback
        self.hasVersion = hasVersion
        self.listed = listed
        self.note = note
    }
}

/// The management point's answer for one client, every DP it considered, and the decision.
public struct LocationExplanation: Message {
    public static let wireName = "location.explanation"
    public static let summary = "The location answer a client would get now, every DP considered, and what the client will do."
    public static let example = LocationExplanation(
        content: "office", versionID: String(repeating: "ab", count: 32), clientAddress: "127.0.1.10", agent: "agent1",
        deploymentID: "office-v1", allowFallback: true, slowNetwork: .download, distributeOnDemand: false, candidates: [.example],
        answer: [.example], onDemandDistribution: [], onDemandAlreadyRequested: [], decision: .example)
    public var content: String
    public var versionID: String
    public var clientAddress: String
    public var agent: String?
    /// The agent's deployment of the content the settings came from; nil when assumed.
    public var deploymentID: String?
    public var allowFallback: Bool
    public var slowNetwork: SlowNetworkBehavior
    public var distributeOnDemand: Bool
    public var candidates: [LocationCandidate]
    /// The DP list of the answer, in order.
    public var answer: [LocatedDistributionPoint]
    /// The preferred DPs an actual request would have the site distribute to.
    public var onDemandDistribution: [String]
    /// Of those, the ones an earlier request already asked for.
    public var onDemandAlreadyRequested: [String]
    public var decision: LocationDecision
    public init(content: String, versionID: String, clientAddress: String, agent: String?, deploymentID: String?, allowFallback: Bool,
                slowNetwork: SlowNetworkBehavior, distributeOnDemand: Bool, candidates: [LocationCandidate], answer: [LocatedDistributionPoint],
                onDemandDistribution: [String], onDemandAlreadyRequested: [String], decision: LocationDecision) {
        self.content = content
        self.versionID = versionID
        self.clientAddress = clientAddress
        self.agent = agent
        self.deploymentID = deploymentID
        self.allowFallback = allowFallback
        self.slowNetwork = slowNetwork
        self.distributeOnDemand = distributeOnDemand
        self.candidates = candidates
        self.answer = answer
        self.onDemandDistribution = onDemandDistribution
        self.onDemandAlreadyRequested = onDemandAlreadyRequested
        self.decision = decision
    }
}

/// The management point asks the site to distribute a version to a client's preferred DPs
/// because none of them has it and the content is distributed on demand (SPEC C8).
public struct OnDemandDistribution: Message {
    public static let wireName = "distribute.on-demand"
    public static let summary = "MP to distribution manager: send this version to these preferred DPs of a client (command, acked)."
    public static let example = OnDemandDistribution(content: "office", versionID: String(repeating: "ab", count: 32),
                                                     distributionPoints: ["dp1"], clientAddress: "127.0.1.10")
    public var content: String
    public var versionID: String
    public var distributionPoints: [String]
    /// The client whose request triggered it (first one; later ones do not trigger again).
    public var clientAddress: String
    public init(content: String, versionID: String, distributionPoints: [String], clientAddress: String) {
        self.content = content
        self.versionID = versionID
        self.distributionPoints = distributionPoints
        self.clientAddress = clientAddress
    }
}
