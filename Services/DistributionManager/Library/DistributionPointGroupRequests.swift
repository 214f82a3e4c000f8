import Bus
import Messages

/// The bus face of DP groups and their collection associations.
struct DistributionPointGroupRequests: Sendable {
    let groups: DistributionPointGroups
    let pump: OutboxPump

    func register(on dispatcher: inout BusDispatcher) {
        let groups = groups, pump = pump
        dispatcher.on(CreateDistributionPointGroup.self) { request, _ in try await groups.create(request) }
        dispatcher.on(AddDistributionPointGroupMember.self) { request, _ in
            defer { pump.wake() }
            return try await groups.add(request)
        }
        dispatcher.on(RemoveDistributionPointGroupMember.self) { request, _ in try await groups.remove(request) }
        dispatcher.on(ListDistributionPointGroups.self) { _, _ in try await groups.list(queued: []) }
        dispatcher.on(AssociateCollection.self) { request, _ in try await groups.associate(request) }
    }
}
