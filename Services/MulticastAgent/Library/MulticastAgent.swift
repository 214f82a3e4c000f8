public import ServiceKit
public import Store
import Bus
import ServiceLifecycle

/// The endpoint agent: one per machine, its own SQLite state and chunk cache; the client
/// of the MP and DPs, and its subnet's peer cache and multicast member (SPEC S1–S7, M6).
///
/// ``build(configuration:clock:journal:insecureBus:echoLogToStandardOutput:)`` makes the
/// value with its bus bound and its subnet channel open; ``run()`` serves until the
/// enclosing graceful shutdown, then leaves the subnet.
public struct MulticastAgent: Service {
    public static let serviceName = "multicast-agent"

    public let host: ServiceHost
    /// The agent's own SQLite state (deployments, cached versions).
    public let database: ServiceDatabase
    /// The bound inbox (its endpoint is known once `build` returns).
    public let busServer: BusServer
    let pump: OutboxPump
    let worker: AgentWorker
    let application: any Service
    let managementPoint: BusClient
    let coordinator: SubnetCoordinator?
    let hub: MulticastHub?

    public func run() async throws {
        defer {
            coordinator?.stop()
            hub?.close()
            managementPoint.close()
        }
        try await host.runParts([busServer, pump, worker, application])
    }
}
