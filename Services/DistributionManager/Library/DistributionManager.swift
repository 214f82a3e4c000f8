public import ServiceKit
public import Store
import Bus
import Logging
import ServiceLifecycle

/// The distribution manager: owns the site's contents, versions, DPs and distribution
/// state; the CLI's single entry point; hands transfer jobs to the PTM.
///
/// ``build(configuration:clock:journal:insecureBus:)`` makes the value with its bus bound;
/// ``run()`` serves until the enclosing graceful shutdown. Tests build it in-process on a
/// temporary folder with port 0 and a ``ManualClock``.
public struct DistributionManager: Service {
    public static let serviceName = "distribution-manager"

    public let host: ServiceHost
    /// The service's own SQLite state.
    public let database: ServiceDatabase
    /// The bound inbox (its endpoint is known once `build` returns).
    public let busServer: BusServer
    let pump: OutboxPump
    let application: any Service
    let validations: Validations
    let collector: LibraryCollector
    let connections: Connections

    /// The bus connections the service made, closed when it stops.
    struct Connections: Sendable {
        var transferManager: BusClient
        var managementPoint: BusClient?
        var distributionPoints: PeerConnections

        func closeAll() {
            transferManager.close()
            managementPoint?.close()
            distributionPoints.closeAll()
        }
    }

    public func run() async throws {
        defer { connections.closeAll() }
        try await host.runParts([busServer, pump, validations, collector, application])
    }
}
