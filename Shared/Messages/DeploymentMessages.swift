import Foundation

/// What a deployment does when the only DPs with the content are behind a slow link (SPEC M2).
public enum SlowNetworkBehavior: String, Codable, Sendable, CaseIterable {
    /// Download and install from a slow DP (the default: the seed lets administrators opt out).
    case download
    /// Never download over a slow link; the agent reports "content not available" and retries.
    case doNotDownload = "do-not-download"
}

/// Deploys a content's current version to a collection (SPEC S7 for cache-only).
public struct Deploy: Message {
    public static let wireName = "deploy"
    public static let summary = "Deploy a content's current version to a collection; replies deployment.reply."
    public static let example = Deploy(content: "office", collection: "All Systems", command: "./setup.sh", cacheOnly: false,
                                       deadline: Date(timeIntervalSince1970: 0), allowFallback: true, slowNetwork: .doNotDownload)
    public var content: String
    public var collection: String
    /// Run in the cached folder once per version; nil with cacheOnly.
    public var command: String?
    /// Pre-download into the agent's cache and run nothing.
    public var cacheOnly: Bool
    /// Agents download at once but run the command only from this time on.
    public var deadline: Date?
    /// Agents may use fallback DPs (those allowing it) when no preferred DP has the content.
    public var allowFallback: Bool
    /// Whether to download from DPs behind a slow link (every fallback DP is slow).
    public var slowNetwork: SlowNetworkBehavior
    /// Overrides the agents' multicast setting for this deployment (SPEC S6); nil keeps it.
    public var multicast: Bool?
    /// Overrides the agents' multicast start delay (seconds); nil keeps it.
    public var multicastDelaySeconds: Double?
    public init(content: String, collection: String, command: String?, cacheOnly: Bool, deadline: Date? = nil,
                allowFallback: Bool = false, slowNetwork: SlowNetworkBehavior = .download,
                multicast: Bool? = nil, multicastDelaySeconds: Double? = nil) {
        self.multicast = multicast
        self.multicastDelaySeconds = multicastDelaySeconds
        self.deadline = deadline
        self.allowFallback = allowFallback
        self.slowNetwork = slowNetwork
        self.content = content
        self.collection = collection
        self.command = command
        self.cacheOnly = cacheOnly
    }
}

/// What an agent must do for one deployment.
public struct DeploymentPolicy: Codable, Sendable, Equatable {
    public static let example = DeploymentPolicy(id: "office-1", content: "office", versionID: String(repeating: "ab", count: 32),
                                                 collection: "All Systems", command: "./setup.sh", cacheOnly: false,
                                                 deadline: Date(timeIntervalSince1970: 0), allowFallback: true, slowNetwork: .doNotDownload)
    /// Stable id: content name and version number.
    public var id: String
    public var content: String
    public var versionID: String
    public var collection: String
    public var command: String?
    public var cacheOnly: Bool
    /// The command runs from this time on; the content is downloaded before it.
    public var deadline: Date?
    /// Ask for fallback DPs too (SPEC M1, M3).
    public var allowFallback: Bool
    /// Whether slow DPs may be used (SPEC M2).
    public var slowNetwork: SlowNetworkBehavior
    /// The deployment's multicast override (SPEC S6); nil: the agent's own setting.
    public var multicast: Bool?
    /// The deployment's start-delay override in seconds; nil: the agent's own setting.
    public var multicastDelaySeconds: Double?
    public init(id: String, content: String, versionID: String, collection: String, command: String?, cacheOnly: Bool,
                deadline: Date? = nil, allowFallback: Bool = false, slowNetwork: SlowNetworkBehavior = .download,
                multicast: Bool? = nil, multicastDelaySeconds: Double? = nil) {
        self.multicast = multicast
        self.multicastDelaySeconds = multicastDelaySeconds
        self.deadline = deadline
        self.allowFallback = allowFallback
        self.slowNetwork = slowNetwork
        self.id = id
        self.content = content
        self.versionID = versionID
        self.collection = collection
        self.command = command
        self.cacheOnly = cacheOnly
    }
}

/// The stages of one agent's work on one deployment, as the wire and the agent's database spell them.
public enum AgentDeploymentPhase: String, Codable, Sendable, CaseIterable {
    case waiting, locating, downloading, cached
    case waitingDeadline = "waiting-deadline"
    case running, installed
    case contentNotAvailable = "content-not-available"
    /// Failed; the agent tries again later.
    case failed
    /// Failed for good (a command that ran and failed): no further attempt.
    case failedFinal = "failed-final"

    /// The content is in the agent's cache (a peer may be told so).
    public var holdsContent: Bool { self == .cached || self == .installed || self == .waitingDeadline }
    /// Nothing more to do now: the next policy cycle does not start it again.
    public var isSettled: Bool { self == .cached || self == .installed || self == .failedFinal || self == .running }
}

/// Where one agent stands on one deployment.
public struct AgentDeploymentState: Codable, Sendable, Equatable {
    public static let example = AgentDeploymentState(agent: "agent1", deploymentID: "office-1", state: .downloading, bytesDone: 1000,
                                                     bytesTotal: 2000, source: "dp1", exitCode: nil, detail: nil,
                                                     updatedAt: Date(timeIntervalSince1970: 0))
    public var agent: String
    public var deploymentID: String
    public var state: AgentDeploymentPhase
    public var bytesDone: Int64
    public var bytesTotal: Int64
    /// The DP it downloads from.
    public var source: String?
    public var exitCode: Int32?
    /// Why it failed, or when it retries.
    public var detail: String?
    public var updatedAt: Date
    /// The DP list of the content location answer the agent acted on, in order.
    public var answer: [LocatedDistributionPoint]?
    /// Whether the agent was its subnet's representative for this version (SPEC S2).
    public var representative: Bool?
    /// Bytes of verified chunks it kept from the subnet's multicast.
    public var bytesFromMulticast: Int64?
    /// Bytes it fetched from peers' caches in its subnet (SPEC S4, M6).
    public var bytesFromPeers: Int64?
    /// Bytes it fetched from a DP.
    public var bytesFromDistributionPoint: Int64?
    public init(agent: String, deploymentID: String, state: AgentDeploymentPhase, bytesDone: Int64, bytesTotal: Int64, source: String?,
                exitCode: Int32?, detail: String?, updatedAt: Date, answer: [LocatedDistributionPoint]? = nil) {
        self.answer = answer
        self.agent = agent
        self.deploymentID = deploymentID
        self.state = state
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.source = source
        self.exitCode = exitCode
        self.detail = detail
        self.updatedAt = updatedAt
    }
}

/// The answer to deploy and deployment status.
public struct DeploymentReply: Message {
    public static let wireName = "deployment.reply"
    public static let summary = "A deployment and every agent's state for it."
    public static let example = DeploymentReply(deployment: .example, agents: [.example])
    public var deployment: DeploymentPolicy
    public var agents: [AgentDeploymentState]
    public init(deployment: DeploymentPolicy, agents: [AgentDeploymentState]) {
        self.deployment = deployment
        self.agents = agents
    }
}

/// Asks for a content's newest deployment and its per-agent state.
public struct DeploymentStatusQuery: Message {
    public static let wireName = "deployment.status"
    public static let summary = "A content's newest deployment and every agent's state; replies deployment.reply."
    public static let example = DeploymentStatusQuery(content: "office")
    public var content: String
    public init(content: String) { self.content = content }
}

/// An agent tells the MP who and where it is (SPEC S5).
public struct AgentRegistration: Message {
    public static let wireName = "agent.register"
    public static let summary = "Agent to MP: name, address and subnet, sent at start and as heartbeat (command, acked)."
    public static let example = AgentRegistration(agent: "agent1", address: "127.0.1.10", subnet: "127.0.1.0/24", cachedVersions: [])
    public var agent: String
    public var address: String
    public var subnet: String
    /// What the agent's cache holds, as "content@versionID".
    public var cachedVersions: [String]
    public init(agent: String, address: String, subnet: String, cachedVersions: [String]) {
        self.agent = agent
        self.address = address
        self.subnet = subnet
        self.cachedVersions = cachedVersions
    }
}

/// An agent asks what to do.
public struct PolicyQuery: Message {
    public static let wireName = "policy.query"
    public static let summary = "Agent to MP: the deployments this agent must carry out; replies policy.reply."
    public static let example = PolicyQuery(agent: "agent1")
    public var agent: String
    public init(agent: String) { self.agent = agent }
}

/// The deployments an agent must carry out.
public struct PolicyReply: Message {
    public static let wireName = "policy.reply"
    public static let summary = "The deployments that target this agent."
    public static let example = PolicyReply(deployments: [.example])
    public var deployments: [DeploymentPolicy]
    public init(deployments: [DeploymentPolicy]) { self.deployments = deployments }
}

/// An agent's state on a deployment; the MP keeps it and relays it to the site.
public struct AgentStatusReport: Message {
    public static let wireName = "agent.status"
    public static let summary = "Agent to MP, and MP to distribution manager: an agent's state on a deployment (command, acked)."
    public static let example = AgentStatusReport(status: .example)
    public var status: AgentDeploymentState
    public init(status: AgentDeploymentState) { self.status = status }
}

/// Lists agents.
public struct ListAgents: Message {
    public static let wireName = "agent.list"
    public static let summary = "List the agents the MP knows; replies agent.list.reply."
    public static let example = ListAgents()
    public init() {}
}

/// One agent as the MP knows it.
public struct AgentSummary: Codable, Sendable, Equatable {
    public static let example = AgentSummary(name: "agent1", address: "127.0.1.10", subnet: "127.0.1.0/24", lastSeen: Date(timeIntervalSince1970: 0),
                                             cachedVersions: [])
    public var name: String
    public var address: String
    public var subnet: String
    public var lastSeen: Date
    public var cachedVersions: [String]
    public init(name: String, address: String, subnet: String, lastSeen: Date, cachedVersions: [String]) {
        self.name = name
        self.address = address
        self.subnet = subnet
        self.lastSeen = lastSeen
        self.cachedVersions = cachedVersions
    }
}

/// The agents the MP knows.
public struct AgentList: Message {
    public static let wireName = "agent.list.reply"
    public static let summary = "Every agent with its address, subnet, last heartbeat and cached versions."
    public static let example = AgentList(agents: [.example])
    public var agents: [AgentSummary]
    public init(agents: [AgentSummary]) { self.agents = agents }
}

/// A collection: the agents a deployment targets, by name or by subnet.
public struct CollectionDefinition: Codable, Sendable, Equatable {
    public static let example = CollectionDefinition(name: "Branch 2", agents: ["agent2"], subnets: ["127.0.2.0/24"])
    public var name: String
    public var agents: [String]
    public var subnets: [String]
    public init(name: String, agents: [String], subnets: [String]) {
        self.name = name
        self.agents = agents
        self.subnets = subnets
    }
}

/// Creates a collection of agents named, or of every agent in some subnets.
public struct CreateCollection: Message {
    public static let wireName = "collection.create"
    public static let summary = "Create a collection from agent names or subnets; replies collection.list.reply."
    public static let example = CreateCollection(collection: .example)
    public var collection: CollectionDefinition
    public init(collection: CollectionDefinition) { self.collection = collection }
}

/// Lists collections.
public struct ListCollections: Message {
    public static let wireName = "collection.list"
    public static let summary = "List collections (All Systems always exists); replies collection.list.reply."
    public static let example = ListCollections()
    public init() {}
}

/// Collections with their definitions.
public struct CollectionList: Message {
    public static let wireName = "collection.list.reply"
    public static let summary = "Every collection; All Systems holds every agent."
    public static let example = CollectionList(collections: [.example])
    public var collections: [CollectionDefinition]
    public init(collections: [CollectionDefinition]) { self.collections = collections }
}

// Peers and stored snapshots from before fallback existed omit these fields: they mean
// "no fallback, download on slow links", the behaviour those versions had.
extension Deploy {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(content: try container.decode(String.self, forKey: .content),
                  collection: try container.decode(String.self, forKey: .collection),
                  command: try container.decodeIfPresent(String.self, forKey: .command),
                  cacheOnly: try container.decode(Bool.self, forKey: .cacheOnly),
                  deadline: try container.decodeIfPresent(Date.self, forKey: .deadline),
                  allowFallback: try container.decodeIfPresent(Bool.self, forKey: .allowFallback) ?? false,
                  slowNetwork: try container.decodeIfPresent(SlowNetworkBehavior.self, forKey: .slowNetwork) ?? .download,
                  multicast: try container.decodeIfPresent(Bool.self, forKey: .multicast),
                  multicastDelaySeconds: try container.decodeIfPresent(Double.self, forKey: .multicastDelaySeconds))
    }
}

extension DeploymentPolicy {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try container.decode(String.self, forKey: .id),
                  content: try container.decode(String.self, forKey: .content),
                  versionID: try container.decode(String.self, forKey: .versionID),
                  collection: try container.decode(String.self, forKey: .collection),
                  command: try container.decodeIfPresent(String.self, forKey: .command),
                  cacheOnly: try container.decode(Bool.self, forKey: .cacheOnly),
                  deadline: try container.decodeIfPresent(Date.self, forKey: .deadline),
                  allowFallback: try container.decodeIfPresent(Bool.self, forKey: .allowFallback) ?? false,
                  slowNetwork: try container.decodeIfPresent(SlowNetworkBehavior.self, forKey: .slowNetwork) ?? .download,
                  multicast: try container.decodeIfPresent(Bool.self, forKey: .multicast),
                  multicastDelaySeconds: try container.decodeIfPresent(Double.self, forKey: .multicastDelaySeconds))
    }
}
