import Bus
import Messages
import Store

/// The bus face of deployments and collections, and the agents' status reports.
struct DeploymentRequests: Sendable {
    let deployments: Deployments
    let database: ServiceDatabase
    let pump: OutboxPump

    func register(on dispatcher: inout BusDispatcher) {
        let deployments = deployments, pump = pump
        dispatcher.on(Deploy.self) { request, _ in
            defer { pump.wake() }
            return try await deployments.deploy(request)
        }
        dispatcher.on(DeploymentStatusQuery.self) { request, _ in try await deployments.status(request.content) }
        dispatcher.on(CreateCollection.self) { request, _ in
            defer { pump.wake() }
            return try await deployments.createCollection(request)
        }
        dispatcher.on(ListCollections.self) { _, _ in try await deployments.listCollections() }
        dispatcher.onCommand(AgentStatusReport.self, database: database) { report, _, db in
            try deployments.apply(report, db)
            return .applied
        }
    }
}
