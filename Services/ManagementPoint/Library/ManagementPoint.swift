public import ServiceKit
public import Store
import Bus
import ServiceLifecycle

/// The management point: keeps its own copy of where content is (from the distribution
/// manager's snapshots), answers content location requests with a download token (and
/// asks the site for on-demand distribution), and serves agents their policy.
///
/// ``build(configuration:clock:journal:insecureBus:echoLogToStandardOutput:)`` makes the
/// value with its bus bound; ``run()`` serves until the enclosing graceful shutdown.
public struct ManagementPoint: Service {
    public static let serviceName = "management-point"

    public let host: ServiceHost
    /// The service's own SQLite state (the site snapshot, agents, statuses).
    public let database: ServiceDatabase
    /// The bound inbox (its endpoint is known once `build` returns).
    public let busServer: BusServer
    let pump: OutboxPump
    let application: any Service
    let distributionManager: BusClient?

    public func run() async throws {
        defer { distributionManager?.close() }
        try await host.runParts([busServer, pump, application])
    }
}
