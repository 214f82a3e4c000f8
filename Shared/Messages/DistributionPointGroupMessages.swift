import Foundation

/// A DP group: DPs managed together; content distributed to it reaches members added later.
public struct DistributionPointGroup: Codable, Sendable, Equatable {
    public static let example = DistributionPointGroup(name: "branches", distributionPoints: ["dp1", "dp2"], contents: ["office"],
                                                       collections: ["Branch 2"])
    public var name: String
    public var distributionPoints: [String]
    /// Contents distributed to the group: every member gets their current version.
    public var contents: [String]
    /// Collections associated with the group.
    public var collections: [String]
    public init(name: String, distributionPoints: [String], contents: [String], collections: [String]) {
        self.name = name
        self.distributionPoints = distributionPoints
        self.contents = contents
        self.collections = collections
    }
}

/// Creates a DP group, optionally with members.
public struct CreateDistributionPointGroup: Message {
    public static let wireName = "dp-group.create"
    public static let summary = "Create a DP group, optionally with DPs; replies dp-group.reply."
    public static let example = CreateDistributionPointGroup(name: "branches", distributionPoints: ["dp1"])
    public var name: String
    public var distributionPoints: [String]
    public init(name: String, distributionPoints: [String]) {
        self.name = name
        self.distributionPoints = distributionPoints
    }
}

/// Adds a DP to a group; the DP is sent every content the group holds (SPEC C4).
public struct AddDistributionPointGroupMember: Message {
    public static let wireName = "dp-group.add"
    public static let summary = "Add a DP to a DP group; it receives the group's content; replies dp-group.reply."
    public static let example = AddDistributionPointGroupMember(group: "branches", distributionPoint: "dp2")
    public var group: String
    public var distributionPoint: String
    public init(group: String, distributionPoint: String) {
        self.group = group
        self.distributionPoint = distributionPoint
    }
}

/// Removes a DP from a group; what it already holds stays.
public struct RemoveDistributionPointGroupMember: Message {
    public static let wireName = "dp-group.remove"
    public static let summary = "Remove a DP from a DP group (its content stays); replies dp-group.reply."
    public static let example = RemoveDistributionPointGroupMember(group: "branches", distributionPoint: "dp2")
    public var group: String
    public var distributionPoint: String
    public init(group: String, distributionPoint: String) {
        self.group = group
        self.distributionPoint = distributionPoint
    }
}

/// Lists DP groups.
public struct ListDistributionPointGroups: Message {
    public static let wireName = "dp-group.list"
    public static let summary = "List DP groups; replies dp-group.reply."
    public static let example = ListDistributionPointGroups()
    public init() {}
}

/// Associates a collection with a DP group: later distributions to the collection reach
/// the group. Nothing already distributed moves until it is distributed again.
public struct AssociateCollection: Message {
    public static let wireName = "collection.associate"
    public static let summary = "Associate a collection with a DP group (nothing moves until the next distribution); replies dp-group.reply."
    public static let example = AssociateCollection(collection: "Branch 2", distributionPointGroup: "branches")
    public var collection: String
    public var distributionPointGroup: String
    public init(collection: String, distributionPointGroup: String) {
        self.collection = collection
        self.distributionPointGroup = distributionPointGroup
    }
}

/// DP groups, and what a change queued.
public struct DistributionPointGroupsReply: Message {
    public static let wireName = "dp-group.reply"
    public static let summary = "Every DP group with its DPs, contents and collections, and the transfers a change queued."
    public static let example = DistributionPointGroupsReply(groups: [.example], queued: ["office → dp2"])
    public var groups: [DistributionPointGroup]
    /// "content → dp" for every transfer the change queued.
    public var queued: [String]
    public init(groups: [DistributionPointGroup], queued: [String]) {
        self.groups = groups
        self.queued = queued
    }
}
