import Bus
import Messages

/// The bus face of the site's topology: boundary groups.
struct TopologyRequests: Sendable {
    let topology: SiteTopology
    let pump: OutboxPump

    func register(on dispatcher: inout BusDispatcher) {
        let topology = topology, pump = pump
        dispatcher.on(CreateBoundaryGroup.self) { request, _ in
            defer { pump.wake() }
            return try await topology.createGroup(request)
        }
        dispatcher.on(AddBoundaryGroupMember.self) { request, _ in
            defer { pump.wake() }
            return try await topology.addMember(request)
        }
        dispatcher.on(ListBoundaryGroups.self) { _, _ in try await topology.list() }
    }
}
